import Foundation
import VividCrowdCore
import VividCrowdDocuments
import VividCrowdWire

/// The parsers that read outside input, each a fuzz target: any bytes must give a value or a thrown error, never a
/// crash, a hang or a leak.
enum FuzzTargets {
    static let all: [String: @Sendable (Data) -> Void] = [
        "csv": { data in _ = try? KnowledgeBaseCSV.parse(data) },
        "sse": { data in
            var parser = SSEParser()
            // Fed in two pieces, so events split across reads are exercised too.
            let cut = data.isEmpty ? 0 : Int(data[data.startIndex]) % (data.count + 1)
            _ = parser.feed(data.prefix(cut))
            _ = parser.feed(data.dropFirst(cut))
            _ = parser.finish()
        },
        "cassette": { data in _ = try? CassetteFile.decode(data, path: "fuzz") },
        "persona": { data in _ = try? PersonaLoader.load(data, file: "fuzz.json") },
        "json": { data in
            guard let value = try? JSONValue.parse(data) else { return }
            _ = value.canonicalString
            _ = value["message"]?.stringValue.map { try? MessageText.validate($0) }
            _ = value["rating"]?.intValue
        },
        "labelled": { data in _ = try? LabelledQuery.load(jsonLines: data, source: "fuzz.jsonl") },
        "multipart": { data in
            // The first line is the content type (its boundary), the rest the body.
            let newline = data.firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
            let contentType = String(decoding: data[..<newline], as: UTF8.self)
            guard let boundary = try? MultipartForm.boundary(contentType: contentType) else { return }
            _ = try? MultipartForm.parts(Data(data[newline...].dropFirst()), boundary: boundary)
        },
        "wav": { data in
            // Decoded, then resampled as recognition does (a short clip: resampling is linear in its length).
            guard let clip = try? WAVCodec.decode(data) else { return }
            _ = AudioClip(samples: Array(clip.samples.prefix(4_000)), sampleRate: clip.sampleRate).resampled(to: 16_000)
        },
        "pdf": { data in _ = try? DocumentReader(pdf: MuPDFTextReader()).read(data, fileName: "fuzz.pdf") },
        "frames": { data in
            let text = String(decoding: data, as: UTF8.self)
            _ = try? CustomerServiceConversation.input(fromFrame: text)
            _ = try? GroupChatConversation.input(fromFrame: text)
            _ = try? TrainingConversation.input(fromFrame: text)
        },
    ]

    /// The target named by `VIVIDCROWD_FUZZ_TARGET`.
    static func selected() -> (name: String, run: @Sendable (Data) -> Void) {
        let name = ProcessInfo.processInfo.environment["VIVIDCROWD_FUZZ_TARGET"] ?? ""
        guard let run = all[name] else {
            FileHandle.standardError.write(Data(
                "set VIVIDCROWD_FUZZ_TARGET to one of: \(all.keys.sorted().joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return (name, run)
    }
}

#if FUZZING
/// libFuzzer's entry point (built with `-sanitize=fuzzer`; see scripts/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    guard let bytes else { return 0 }
    selectedTarget.run(Data(bytes: bytes, count: count))
    return 0
}

private let selectedTarget = FuzzTargets.selected()

/// libFuzzer's driver, which parses its flags and runs the callback (the fuzzer runtime provides it).
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The executable's entry point under the name SwiftPM links as `main`; it hands over to libFuzzer's driver.
@_cdecl("vividcrowd_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { bytes, size in fuzzOneInput(bytes, size) }
}
#else
/// Without the fuzzer: runs a target over input files (crash reproducers, the corpus) and reports each.
@main
struct FuzzReplay {
    static func main() {
        let target = FuzzTargets.selected()
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): unreadable")
                continue
            }
            target.run(data)
            print("\(target.name) \(path): ok")
        }
    }
}
#endif
