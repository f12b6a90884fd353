import HTTPTypes

extension HTTPField.Name {
    // Force-unwrapped literals: these names are valid tokens, so the initialiser cannot fail.
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let crossOriginOpenerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
    static let xAdminToken = HTTPField.Name("X-Admin-Token")!
}
