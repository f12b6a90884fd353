import Foundation

/// What an MP4 file says about itself, read from its boxes (ISO/IEC 14496-12): enough for tests to check that a
/// video is a real, playable file of the expected length and picture size, without a decoder.
public struct MP4Summary: Equatable, Sendable {
    /// One track: its handler (`vide`, `soun`) and, for video, its picture size.
    public struct Track: Equatable, Sendable {
        public var handler: String
        public var width: Int
        public var height: Int
    }

    /// The top-level boxes in file order (`ftyp`, `moov`, `mdat`…).
    public var topLevel: [String]
    /// The movie's length from its header.
    public var durationSeconds: Double
    public var tracks: [Track]

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the boxes of `data`; throws when it is not an MP4 with a movie header.
    public static func read(_ data: Data) throws -> MP4Summary {
        let bytes = [UInt8](data)
        let top = try boxes(bytes, 0..<bytes.count)
        guard let moov = top.first(where: { $0.type == "moov" }) else { throw Malformed(description: "no moov box") }
        let inMovie = try boxes(bytes, moov.body)
        guard let mvhd = inMovie.first(where: { $0.type == "mvhd" }) else { throw Malformed(description: "no mvhd box") }
        var reader = Reader(bytes: bytes, at: mvhd.body.lowerBound)
        let version = try reader.uint(1)
        try reader.skip(3 + (version == 1 ? 16 : 8))
        let timescale = try reader.uint(4)
        let duration = try reader.uint(version == 1 ? 8 : 4)
        guard timescale > 0 else { throw Malformed(description: "a zero timescale") }
        var tracks: [Track] = []
        for trak in inMovie where trak.type == "trak" {
            let inTrack = try boxes(bytes, trak.body)
            var track = Track(handler: "", width: 0, height: 0)
            if let tkhd = inTrack.first(where: { $0.type == "tkhd" }) {
                var reader = Reader(bytes: bytes, at: tkhd.body.lowerBound)
                let version = try reader.uint(1)
                try reader.skip(3 + (version == 1 ? 32 : 20) + 8 + 8 + 36)
                track.width = Int(try reader.uint(4) >> 16)
                track.height = Int(try reader.uint(4) >> 16)
            }
            if let mdia = inTrack.first(where: { $0.type == "mdia" }),
                let hdlr = try boxes(bytes, mdia.body).first(where: { $0.type == "hdlr" })
            {
                var reader = Reader(bytes: bytes, at: hdlr.body.lowerBound + 8)
                track.handler = try reader.fourCC()
            }
            tracks.append(track)
        }
        return MP4Summary(topLevel: top.map(\.type), durationSeconds: Double(duration) / Double(timescale), tracks: tracks)
    }

    private struct Box {
        var type: String
        var body: Range<Int>
    }

    private static func boxes(_ bytes: [UInt8], _ range: Range<Int>) throws -> [Box] {
        var found: [Box] = []
        var offset = range.lowerBound
        while offset + 8 <= range.upperBound {
            var reader = Reader(bytes: bytes, at: offset)
            var size = Int(try reader.uint(4))
            let type = try reader.fourCC()
            var header = 8
            if size == 1 {
                size = Int(try reader.uint(8))
                header = 16
            } else if size == 0 {
                size = range.upperBound - offset
            }
            guard size >= header, offset + size <= range.upperBound else {
                throw Malformed(description: "box \(type) at \(offset) overruns its parent")
            }
            found.append(Box(type: type, body: (offset + header)..<(offset + size)))
            offset += size
        }
        return found
    }

    private struct Reader {
        let bytes: [UInt8]
        var at: Int

        mutating func uint(_ count: Int) throws -> UInt64 {
            guard at + count <= bytes.count else { throw Malformed(description: "the file ends inside a box") }
            defer { at += count }
            return bytes[at..<(at + count)].reduce(0) { $0 << 8 | UInt64($1) }
        }

        mutating func skip(_ count: Int) throws {
            guard at + count <= bytes.count else { throw Malformed(description: "the file ends inside a box") }
            at += count
        }

        mutating func fourCC() throws -> String {
            guard at + 4 <= bytes.count else { throw Malformed(description: "the file ends inside a box") }
            defer { at += 4 }
            return String(decoding: bytes[at..<(at + 4)], as: UTF8.self)
        }
    }
}
