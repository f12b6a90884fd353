import Foundation

/// A stored simulated customer: its profile and the document it came from.
public struct CustomerRecord: Sendable, Codable, Equatable {
    public var id: Int
    public var profile: CustomerProfile
    public var fileName: String
    /// MD5 of the uploaded bytes: the same bytes again are the same customer.
    public var md5: String
    public var createdAt: Date

    public var name: String { profile.name }

    public init(id: Int, profile: CustomerProfile, fileName: String, md5: String, createdAt: Date) {
        self.id = id
        self.profile = profile
        self.fileName = fileName
        self.md5 = md5
        self.createdAt = createdAt
    }
}

/// The simulated customers of sales training.
public protocol CustomerStore: Sendable {
    /// Every customer, oldest first.
    func customers() async throws -> [CustomerRecord]
    func customer(id: Int) async throws -> CustomerRecord?
    /// The customer made from these exact bytes, if any.
    func customer(md5: String) async throws -> CustomerRecord?
    /// Stores a customer (its `id` is assigned) and returns it stored; the same MD5 twice is a `DuplicateKey`.
    func createCustomer(_ customer: CustomerRecord) async throws -> CustomerRecord
    /// Deletes a customer; false when there was no such customer.
    func deleteCustomer(id: Int) async throws -> Bool
}

/// Customers in memory, with the same semantics as the database backends.
public actor InMemoryCustomerStore: CustomerStore {
    private var records: [Int: CustomerRecord] = [:]
    private var nextID = 1

    public init() {}

    public func customers() -> [CustomerRecord] { records.values.sorted { $0.id < $1.id } }

    public func customer(id: Int) -> CustomerRecord? { records[id] }

    public func customer(md5: String) -> CustomerRecord? { records.values.first { $0.md5 == md5 } }

    public func createCustomer(_ customer: CustomerRecord) throws -> CustomerRecord {
        guard records.values.allSatisfy({ $0.md5 != customer.md5 }) else { throw DuplicateKey(key: "customer with md5 \(customer.md5)") }
        var stored = customer
        stored.id = nextID
        nextID += 1
        records[stored.id] = stored
        return stored
    }

    public func deleteCustomer(id: Int) -> Bool { records.removeValue(forKey: id) != nil }
}
