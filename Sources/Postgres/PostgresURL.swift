import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=MODE` URL taken apart; its description never shows the password.
public struct PostgresURL: Sendable, CustomStringConvertible {
    /// libpq's TLS modes, as the URL's `sslmode` names them.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    /// Parses the URL; the error names what is wrong without repeating the URL (it holds the password).
    public init(_ url: String) throws {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), ["postgres", "postgresql"].contains(scheme)
        else {
            throw PostgresStoreError.invalidURL("expected postgres://USER:PASSWORD@HOST:PORT/DB")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresStoreError.invalidURL("the URL names no host")
        }
        guard let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
            throw PostgresStoreError.invalidURL("the URL names no user")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresStoreError.invalidURL("the URL names no database (…/DB)")
        }
        var sslMode = SSLMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    throw PostgresStoreError.invalidURL(
                        "sslmode must be one of " + SSLMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                sslMode = mode
            default:
                throw PostgresStoreError.invalidURL("unknown URL parameter \"\(item.name)\" (only sslmode is read)")
            }
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user
        self.password = components.percentEncodedPassword?.removingPercentEncoding
        self.database = database
        self.sslMode = sslMode
    }

    /// The URL with the password masked, for logs, `config` and `/health`.
    public var description: String {
        let credentials = password == nil ? user : "\(user):***"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(credentials)@\(hostPart):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    /// The same server and credentials, another database (tests create one per store).
    public func with(database: String) -> PostgresURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The client configuration: TLS as `sslmode` says (libpq's meanings; `allow` tries without TLS first, which
    /// PostgresNIO cannot, so it prefers TLS as `prefer` does).
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: try tls())
    }

    /// The single-connection configuration, for administrative statements.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .allow, .prefer: tls = .prefer(try NIOSSLContext(configuration: Self.unverified))
        case .require: tls = .require(try NIOSSLContext(configuration: Self.unverified))
        case .verifyCA: tls = .require(try NIOSSLContext(configuration: Self.verified(hostname: false)))
        case .verifyFull: tls = .require(try NIOSSLContext(configuration: Self.verified(hostname: true)))
        }
        return PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    private func tls() throws -> PostgresClient.Configuration.TLS {
        switch sslMode {
        case .disable: return .disable
        case .allow, .prefer: return .prefer(Self.unverified)
        case .require: return .require(Self.unverified)
        case .verifyCA: return .require(Self.verified(hostname: false))
        case .verifyFull: return .require(Self.verified(hostname: true))
        }
    }

    /// `prefer` and `require` encrypt without checking the certificate, as libpq does.
    private static var unverified: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return configuration
    }

    private static func verified(hostname: Bool) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = hostname ? .fullVerification : .noHostnameVerification
        return configuration
    }
}
