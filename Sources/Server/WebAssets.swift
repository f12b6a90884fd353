import Foundation
import Hummingbird
import VividCrowdCore

/// The web page (plain HTML, JS and CSS, no build step) and the docs page, from the bundled Public folder.
enum WebAssets {
    static let files: [(path: String, file: String, type: String)] = [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "style.css", "text/css; charset=utf-8"),
        ("/docs", "docs.html", "text/html; charset=utf-8"),
        ("/docs.js", "docs.js", "text/javascript; charset=utf-8"),
    ]

    static func add(to router: Router<some RequestContext>) {
        for asset in files {
            let text = load(asset.file)
            router.get(RouterPath(asset.path)) { _, _ -> Response in .asset(text, contentType: asset.type) }
        }
    }

    /// A bundled file's text; read once at start-up.
    static func load(_ file: String) -> String {
        guard let url = Bundle.module.url(forResource: file, withExtension: nil, subdirectory: "Public"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { preconditionFailure("the server's bundled Public/\(file) is missing") }
        return text
    }
}

/// The OpenAPI 3.1 description of every endpoint, WebSocket ones included (as GET upgrades).
enum OpenAPIDocument {
    static let document: JSONValue = {
        guard let value = try? JSONValue.parse(WebAssets.load("openapi.json")) else {
            preconditionFailure("the bundled Public/openapi.json is not valid JSON")
        }
        return value
    }()
}
