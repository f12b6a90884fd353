import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

private let day = Date(timeIntervalSince1970: 1_780_000_000.5)

private func sampleProfile(name: String = "王建国", difficulty: CustomerProfile.Difficulty = .hard) -> CustomerProfile {
    CustomerProfile(
        name: name, role: "生产总监", industry: "高端装备制造", personality: .critical, communicationStyle: "用数据说话",
        painPoints: ["停机时间长"], needs: ["快速部署"], typicalObjections: ["别又是PPT产品"], hiddenObjections: ["担心影响交货"],
        decisionRole: "最终决策者", budgetAuthority: "有独立预算", purchaseCycle: "1-2个月", emotionalState: "焦虑", riskAppetite: "保守",
        difficulty: difficulty)
}

private func profileJSON(_ profile: CustomerProfile = sampleProfile()) -> String {
    String(decoding: try! JSONEncoder().encode(profile), as: UTF8.self)
}

private struct NoPDF: PDFTextReader {
    func pages(of data: Data, limits: DocumentLimits) throws -> [String] { throw DocumentError.empty }
}

private func library(_ transport: RepliesTransport, store: any CustomerStore = InMemoryCustomerStore()) -> CustomerLibrary {
    CustomerLibrary(
        store: store, client: LLMClient(transport: transport, models: .init(chat: "chat", router: "r", evaluation: "e", embedding: "m")),
        reader: DocumentReader(pdf: NoPDF()), now: { day })
}

@Suite struct CustomerStoreConformanceTests {
    @Test(arguments: StoreBackend.allCases)
    func aCustomerIsStoredOnceFoundByIdAndMD5AndDeleted(_ backend: StoreBackend) async throws {
        let store = try await backend.open().customers
        #expect(try await store.customers().isEmpty)
        let stored = try await store.createCustomer(CustomerRecord(id: 0, profile: sampleProfile(), fileName: "wang.md", md5: "m1", createdAt: day))
        #expect(stored.id > 0 && stored.name == "王建国")
        #expect(try await store.customer(id: stored.id) == stored)
        #expect(try await store.customer(md5: "m1") == stored)
        await #expect(throws: DuplicateKey.self) {
            _ = try await store.createCustomer(CustomerRecord(id: 0, profile: sampleProfile(name: "x"), fileName: "x.md", md5: "m1", createdAt: day))
        }
        let second = try await store.createCustomer(CustomerRecord(id: 0, profile: sampleProfile(name: "李敏"), fileName: "li.md", md5: "m2", createdAt: day))
        #expect(try await store.customers().map(\.name) == ["王建国", "李敏"])
        #expect(try await store.deleteCustomer(id: stored.id))
        #expect(try await !store.deleteCustomer(id: stored.id))
        #expect(try await store.customers().map(\.id) == [second.id])
    }
}

@Suite struct CustomerLibraryTests {
    @Test func aProfileDocumentBecomesACustomerOnceAndTheUploadedDifficultyWins() async throws {
        let transport = RepliesTransport([profileJSON()])
        let customers = library(transport)
        let document = try Data(contentsOf: repositoryRoot.appendingPathComponent("corpora/sales/customers/王建国-制造业-生产总监.md"))
        let (customer, created) = try await customers.create(document, fileName: "wang.md", difficulty: .easy)
        #expect(created && customer.profile.difficulty == .easy && customer.name == "王建国")
        let prompt = await transport.prompt()
        #expect(prompt.contains("王建国") && prompt.contains("hidden_objections"))
        let again = try await customers.create(document, fileName: "copy.md")
        #expect(!again.created && again.customer.id == customer.id)
        #expect(await transport.bodies.count == 1)
        #expect(try await customers.customer(id: customer.id) == customer)
        try await customers.delete(id: customer.id)
        await #expect(throws: CustomerError.notFound(customer.id)) { try await customers.delete(id: customer.id) }
    }

    @Test func aNameTheDocumentDoesNotHoldGivesWayToItsHeadingOrFileName() async throws {
        let document = try Data(contentsOf: repositoryRoot.appendingPathComponent("corpora/sales/customers/王建国-制造业-生产总监.md"))
        let invented = try await library(RepliesTransport([profileJSON(sampleProfile(name: "no"))])).create(document, fileName: "x.md")
        #expect(invented.customer.name == "王建国" && invented.customer.profile.name == "王建国")
        let noHeading = Data("客户是一位生产总监，关心停机。".utf8)
        let fromFile = try await library(RepliesTransport([profileJSON(sampleProfile(name: "Bob"))])).create(noHeading, fileName: "李华-制造业.md")
        #expect(fromFile.customer.name == "李华")
        let held = Data("# Profile: Anna\nAnna runs procurement.".utf8)
        #expect(try await library(RepliesTransport([profileJSON(sampleProfile(name: "Anna"))])).create(held, fileName: "a.md").customer.name == "Anna")
    }

    @Test func aProfileWithoutObjectionsIsAskedAgainAndAModelThatNeverCompliesStoresNothing() async throws {
        var bare = sampleProfile()
        bare.typicalObjections = []
        bare.hiddenObjections = [" "]
        let transport = RepliesTransport([profileJSON(bare), "not json", #"{"name": "x"}"#])
        let store = InMemoryCustomerStore()
        await #expect(throws: CustomerError.profileFailed) {
            _ = try await library(transport, store: store).create(Data("# 客户画像：张三\n常见异议：太贵".utf8), fileName: "zhang.md")
        }
        #expect(await transport.bodies.count == 3)
        #expect(await transport.lastMessage(1).contains("at least one objection"))
        #expect(try await store.customers().isEmpty)
    }

    @Test func anUnreadableDocumentIsRefusedBeforeAnyCall() async throws {
        let transport = RepliesTransport([profileJSON()])
        let store = InMemoryCustomerStore()
        await #expect(throws: DocumentError.self) { _ = try await library(transport, store: store).create(Data(), fileName: "empty.md") }
        await #expect(throws: DocumentError.self) {
            _ = try await library(transport, store: store).create(Data("%PDF-1.7 broken".utf8), fileName: "bad.pdf")
        }
        #expect(await transport.bodies.isEmpty)
        #expect(try await store.customers().isEmpty)
    }

    @Test func theShippedProfilesSeedOnceEach() async throws {
        let transport = RepliesTransport([profileJSON()])
        let customers = library(transport)
        let folder = repositoryRoot.appendingPathComponent("corpora/sales/customers")
        #expect(try await customers.seed(folder: folder) == .init(created: 6, failed: []))
        #expect(try await customers.seed(folder: folder) == .init(created: 0, failed: []))
        #expect(try await customers.customers().map(\.fileName).sorted().first?.hasSuffix(".md") == true)
    }

    @Test func aProfileTheModelCannotMakeIsSkippedAndNamedWhileTheOthersSeed() async throws {
        let folder = URL(fileURLWithPath: try temporaryDirectory())
        let shipped = repositoryRoot.appendingPathComponent("corpora/sales/customers")
        for name in try FileManager.default.contentsOfDirectory(atPath: shipped.path).sorted().prefix(2) {
            try FileManager.default.copyItem(at: shipped.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        // The first document's every attempt is unusable; the second gets a profile.
        let transport = RepliesTransport(["not json", "not json", "not json", profileJSON()])
        let store = InMemoryCustomerStore()
        let outcome = try await library(transport, store: store).seed(folder: folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(outcome == .init(created: 1, failed: [names[0]]))
        #expect(try await store.customers().map(\.fileName) == [names[1]])
    }
}

@Suite struct CustomerAgentTests {
    @Test func thePersonaHoldsItsProfileItsDifficultyAndTheRulesThatKeepItACustomer() {
        let chinese = CustomerAgent.systemPrompt(sampleProfile(difficulty: .hard), chinese: true)
        #expect(chinese.contains("你是王建国") && chinese.contains("担心影响交货") && chinese.contains("别又是PPT产品"))
        #expect(chinese.contains("很难被说服") && chinese.contains("绝不指导销售"))
        let english = CustomerAgent.systemPrompt(sampleProfile(difficulty: .easy), chinese: false)
        #expect(english.contains("never coach the salesperson") && english.contains("move forward once"))
        #expect(!english.contains("hard to win"))
    }

    @Test func framesNameTheCustomerOrLeaveItOutAndAnythingElseIsRefused() throws {
        #expect(try CustomerConversation.input(fromFrame: #"{"message": "您好"}"#) == CustomerChatMessage(text: "您好", customerID: nil))
        #expect(try CustomerConversation.input(fromFrame: #"{"message": "hi", "customer_id": "3"}"#).customerID == 3)
        for (frame, code) in [
            (#"hello"#, "bad_json"), (#"{"message": "hi", "customer": 1}"#, "unknown_field"), (#"{"message": 5}"#, "bad_message"),
            (#"{"message": "hi", "customer_id": 0}"#, "bad_customer_id"), (#"{"message": "hi", "customer_id": 1.5}"#, "bad_customer_id"),
        ] {
            #expect(throws: FrameRejection.self, "\(frame)") { try CustomerConversation.input(fromFrame: frame) }
            do {
                _ = try CustomerConversation.input(fromFrame: frame)
            } catch let rejection as FrameRejection {
                #expect(rejection.code == code, "\(frame)")
            }
        }
    }
}
