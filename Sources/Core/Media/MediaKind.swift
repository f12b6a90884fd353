import Foundation

/// What kind of media a file holds, told from its first bytes (its signature), not from a name or a header a
/// client sent.
public enum MediaKind {
    /// `png`, `jpg` or `webp` for a picture of that format, nil for anything else (SVG and the rest are refused:
    /// pictures are served back from this origin).
    public static func imageExtension(of data: Data) -> String? {
        let head = [UInt8](data.prefix(12))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "png" }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "jpg" }
        if head.count == 12, head.starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) { return "webp" }
        return nil
    }

    /// `wav`, `mp3` or `ogg` for audio of that format, nil for anything else.
    public static func audioExtension(of data: Data) -> String? {
        if WAVCodec.looksLikeWAV(data) { return "wav" }
        let head = [UInt8](data.prefix(4))
        if head.starts(with: Array("OggS".utf8)) { return "ogg" }
        if head.starts(with: Array("ID3".utf8)) { return "mp3" }
        if head.count >= 2, head[0] == 0xFF, head[1] & 0xE0 == 0xE0 { return "mp3" }
        return nil
    }
}
