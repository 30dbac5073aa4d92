import Foundation
import Glibc
import TestSupport
import Testing

@testable import FailoverCore

func appID(_ text: String) -> AppID { try! AppID(text) }
func address(_ text: String) -> GroupAddress { try! GroupAddress(text) }

func makeApp(_ id: String, name: String? = nil, host: String? = "lb.example.net") -> App {
    try! App(id: appID(id), name: name ?? "App \(id)", webHead: host.map { try! WebHead.hostname(validating: $0) })
}

/// Base time for tests: 2026-01-01T00:00:00Z in ms.
let t0: Int64 = 1_767_225_600_000

/// A model with apps a1, a2, a3 and group 100-000-001 (primary a1, backup a2).
func sampleModel() -> FailoverModel {
    var model = FailoverModel()
    for id in ["a1", "a2", "a3"] { try! model.apply(.appPut(makeApp(id))) }
    try! model.apply(.groupCreate(address: g1, primary: appID("a1"), backup: appID("a2"), now: t0))
    return model
}

let g1 = address("100-000-001")
let g2 = address("100-000-002")

/// Expects `body` to throw a FailoverError with `code`; returns it.
@discardableResult
func expectError(
    _ code: FailoverError.Code, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> FailoverError? {
    do {
        try body()
        Issue.record("expected \(code.rawValue), got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as FailoverError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected FailoverError \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A fresh directory under the temporary directory, removed when `body` returns.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("failovercore-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { throw FailoverError(.internal, "mkdtemp failed") }
    let path = String(cString: made)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

func fileBytes(_ path: String) -> [UInt8] {
    (try? Array(Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    try! Data(bytes).write(to: URL(fileURLWithPath: path))
}

func fileSize(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : -1
}

/// A series of mutations that touches every kind, for journal tests.
func sampleMutations() -> [Mutation] {
    [
        .appPut(makeApp("a1")),
        .appPut(makeApp("a2", host: nil)),
        .appPut(try! App(id: appID("a3"), name: "Ünïcode 店",
                         webHead: try! .addresses(validating: ["192.0.2.1", "2001:db8::1"]))),
        .groupCreate(address: g1, primary: appID("a1"), backup: appID("a2"), now: t0),
        .groupCreate(address: g2, primary: nil, backup: nil, now: t0 + 1),
        .groupSwitch(address: g1, to: .backup, due: t0 + 30_000, requestedAt: t0 + 2, requestedBy: "ops \"x\""),
        .groupUpdate(address: g1, primary: .keep, backup: .set(appID("a3")), ifVersion: 2, now: t0 + 3),
        .switchApply(address: g1, expectedDue: t0 + 30_000, now: t0 + 30_001),
        .groupDelete(address: g2),
        .appRemove(appID("a2")),
        // Health checks and policies (journal tags 9 to 12, snapshot format 3).
        .appPut(makeApp("a5").with(healthCheck: try! HealthCheck(
            kind: .https, port: 8443, path: "/health?deep=1", host: "shop.example.com", expect: 200...204, interval: 5,
            timeout: 2, fall: 2, rise: 3, insecure: true))),
        .appPut(makeApp("a6", host: nil).with(healthCheck: try! HealthCheck(kind: .tcp, port: 5432))),
        .groupCreate(address: address("100-000-003"), primary: appID("a5"), backup: appID("a6"), now: t0 + 30_002,
                     policy: try! GroupPolicy(autoFailover: true, failback: .auto, failbackAfter: 120,
                                              minSwitchInterval: 30)),
        .groupUpdate(address: g1, primary: .keep, backup: .keep, ifVersion: nil, now: t0 + 30_003,
                     policy: try! GroupPolicy(autoFailover: true)),
        .healthSwitch(address: g1, to: .primary, expectedVersion: 5, now: t0 + 30_004),
    ]
}
