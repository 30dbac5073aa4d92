/// Decodes a well-formed request line in one pass, straight into a ``ControlCommand``, without building a
/// ``JSONValue`` tree.
///
/// It accepts only a strict subset of what ``ControlRequest/init(line:)`` accepts: strings without escapes or
/// control characters, integers that fit in `Int64` (no fraction or exponent), each known key once, every
/// member of the right type. Anything else, valid or not, returns nil and the caller decodes the line with the
/// full parser, which gives the same result or the exact error. So this decoder never produces an error and
/// never decides what is valid: it only takes the common case fast.
struct RequestScanner {
    /// A member value of the shapes the fast path reads.
    enum Value {
        case null
        case integer(Int64)
        case string(String)
        case hostname(String)
        case addresses([String])
    }

    /// The argument names any operation defines; a request using another name goes to the full parser.
    enum Key: Int {
        case app, name, webHead, address, primary, backup, ifVersion, to, delaySeconds, requestedBy, `protocol`

        /// The wire names, by raw value.
        static let spellings: [[UInt8]] = [
            "app", "name", "web_head", "address", "primary", "backup", "if_version", "to", "delay_seconds",
            "requested_by", "protocol",
        ].map { Array($0.utf8) }
    }

    /// The arguments read, by ``Key``; nil where absent.
    struct Args {
        var values: [Value?] = Array(repeating: nil, count: Key.spellings.count)
        /// Bit `key.rawValue` set for each argument given.
        var present: UInt16 = 0

        subscript(_ key: Key) -> Value? { values[key.rawValue] }

        /// True when no argument outside `allowed` was given.
        func only(_ allowed: Key...) -> Bool {
            present & ~allowed.reduce(0) { $0 | 1 << $1.rawValue } == 0
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The id and command of `line` (without its newline), or nil to decode it with the full parser.
    static func decode(_ line: UnsafeBufferPointer<UInt8>) -> (id: JSONValue, command: ControlCommand)? {
        var scanner = RequestScanner(bytes: line)
        return scanner.request()
    }

    // MARK: - The request object

    private static let idKey = Array("id".utf8)
    private static let opKey = Array("op".utf8)
    private static let argsKey = Array("args".utf8)

    private mutating func request() -> (id: JSONValue, command: ControlCommand)? {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return nil }
        var id: JSONValue? = nil
        var operation: ControlOperation? = nil
        var args: Args? = nil
        var argsSeen = false
        skipWhitespace()
        if !take(UInt8(ascii: "}")) {
            repeat {
                skipWhitespace()
                guard let key = rawString() else { return nil }
                guard colon() else { return nil }
                if equal(key, Self.idKey) {
                    guard id == nil, let value = scalarID() else { return nil }
                    id = value
                } else if equal(key, Self.opKey) {
                    guard operation == nil, let name = rawString(),
                        let op = ControlOperation(rawValue: String(decoding: bytes[name], as: UTF8.self))
                    else { return nil }
                    operation = op
                } else if equal(key, Self.argsKey) {
                    guard !argsSeen else { return nil }
                    argsSeen = true
                    if takeLiteral("null") {
                        args = Args()
                    } else {
                        guard let object = argsObject() else { return nil }
                        args = object
                    }
                } else {
                    return nil
                }
                skipWhitespace()
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return nil }
        }
        skipWhitespace()
        guard index == bytes.count, let operation else { return nil }
        guard let command = Self.command(operation, args ?? Args()) else { return nil }
        return (id ?? .null, command)
    }

    /// The command for `operation`, or nil when an argument is unknown to it, missing or of the wrong type.
    private static func command(_ operation: ControlOperation, _ args: Args) -> ControlCommand? {
        switch operation {
        case .appPut:
            guard args.only(.app, .name, .webHead), case .string(let app)? = args[.app],
                case .string(let name)? = args[.name], let head = args[.webHead]
            else { return nil }
            switch head {
            case .null: return .appPut(AppPutArgs(app: app, name: name, webHead: nil))
            case .hostname(let host): return .appPut(AppPutArgs(app: app, name: name, webHead: .hostname(host)))
            case .addresses(let list): return .appPut(AppPutArgs(app: app, name: name, webHead: .addresses(list)))
            default: return nil
            }
        case .appRemove, .appGet, .appStatus:
            guard args.only(.app), case .string(let app)? = args[.app] else { return nil }
            let appArgs = AppIDArgs(app: app)
            return operation == .appRemove ? .appRemove(appArgs) : operation == .appGet ? .appGet(appArgs)
                : .appStatus(appArgs)
        case .groupCancel, .groupDelete, .groupGet:
            guard args.only(.address), case .string(let address)? = args[.address] else { return nil }
            let groupArgs = GroupAddressArgs(address: address)
            return operation == .groupCancel ? .groupCancel(groupArgs) : operation == .groupDelete
                ? .groupDelete(groupArgs) : .groupGet(groupArgs)
        case .groupCreate:
            guard args.only(.address, .primary, .backup), let address = optionalString(args[.address]),
                let primary = optionalString(args[.primary]), let backup = optionalString(args[.backup])
            else { return nil }
            return .groupCreate(GroupCreateArgs(address: address, primary: primary, backup: backup))
        case .groupUpdate:
            guard args.only(.address, .primary, .backup, .ifVersion), case .string(let address)? = args[.address],
                let primary = update(args[.primary]), let backup = update(args[.backup]),
                let ifVersion = optionalUInt64(args[.ifVersion])
            else { return nil }
            return .groupUpdate(
                GroupUpdateArgs(address: address, primary: primary, backup: backup, ifVersion: ifVersion))
        case .groupSwitch:
            guard args.only(.address, .to, .delaySeconds, .requestedBy), case .string(let address)? = args[.address],
                case .string(let toName)? = args[.to], let to = ControlRole(rawValue: toName),
                let requestedBy = optionalString(args[.requestedBy])
            else { return nil }
            let delay: Double?
            switch args[.delaySeconds] {
            case nil, .null?: delay = nil
            case .integer(let seconds)?: delay = Double(seconds)
            default: return nil
            }
            return .groupSwitch(
                GroupSwitchArgs(address: address, to: to, delaySeconds: delay, requestedBy: requestedBy))
        case .hello:
            guard args.only(.protocol) else { return nil }
            switch args[.protocol] {
            case nil, .null?: return .hello(HelloArgs())
            case .integer(let version)? where version == Int64(ControlProtocol.version):
                return .hello(HelloArgs(protocolVersion: Int(version)))
            default: return nil
            }
        case .appReportHealth:
            return nil
        case .appList, .groupList, .export, .watch, .stats, .reload:
            guard args.present == 0 else { return nil }
            return try? ControlCommand(operation: operation, args: [:])
        }
    }

    /// `.some(nil)` for absent or null, `.some(string)` for a string, nil (not handled) otherwise.
    private static func optionalString(_ value: Value?) -> String?? {
        switch value {
        case nil, .null?: .some(nil)
        case .string(let string)?: .some(string)
        default: nil
        }
    }

    private static func optionalUInt64(_ value: Value?) -> UInt64?? {
        switch value {
        case nil, .null?: .some(nil)
        case .integer(let integer)? where integer >= 0: .some(UInt64(integer))
        default: nil
        }
    }

    private static func update(_ value: Value?) -> ControlFieldChange<String>? {
        switch value {
        case nil: .keep
        case .null?: .clear
        case .string(let string)?: .set(string)
        default: nil
        }
    }

    // MARK: - Arguments

    private static let hostnameKey = Array("hostname".utf8)
    private static let addressesKey = Array("addresses".utf8)

    private mutating func argsObject() -> Args? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var args = Args()
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return args }
        repeat {
            skipWhitespace()
            guard let name = rawString(), colon() else { return nil }
            guard let raw = Key.spellings.firstIndex(where: { equal(name, $0) }), let key = Key(rawValue: raw),
                args.present & 1 << key.rawValue == 0
            else { return nil }
            args.present |= 1 << key.rawValue
            let value: Value
            if key == .webHead {
                guard let head = webHead() else { return nil }
                value = head
            } else {
                guard let scalar = scalar() else { return nil }
                value = scalar
            }
            args.values[key.rawValue] = value
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")) else { return nil }
        return args
    }

    /// `null`, `{"hostname": "..."}` or `{"addresses": ["...", ...]}`.
    private mutating func webHead() -> Value? {
        if takeLiteral("null") { return .null }
        guard take(UInt8(ascii: "{")) else { return nil }
        skipWhitespace()
        guard let key = rawString(), colon() else { return nil }
        let value: Value
        if equal(key, Self.hostnameKey) {
            guard let host = string() else { return nil }
            value = .hostname(host)
        } else if equal(key, Self.addressesKey) {
            guard take(UInt8(ascii: "[")) else { return nil }
            var list: [String] = []
            skipWhitespace()
            if !take(UInt8(ascii: "]")) {
                repeat {
                    skipWhitespace()
                    guard let element = string() else { return nil }
                    list.append(element)
                    skipWhitespace()
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "]")) else { return nil }
            }
            value = .addresses(list)
        } else {
            return nil
        }
        skipWhitespace()
        guard take(UInt8(ascii: "}")) else { return nil }
        return value
    }

    // MARK: - Scalars

    /// An id: null, a string or an integer.
    private mutating func scalarID() -> JSONValue? {
        switch scalar() {
        case .null?: .null
        case .integer(let value)?: .integer(value)
        case .string(let value)?: .string(value)
        default: nil
        }
    }

    /// Null, an integer or a string; nil for anything else (booleans, fractions, objects, arrays, errors).
    private mutating func scalar() -> Value? {
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "\""): return string().map(Value.string)
        case UInt8(ascii: "n"): return takeLiteral("null") ? .null : nil
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return integer().map(Value.integer)
        default: return nil
        }
    }

    /// A JSON integer without fraction or exponent that fits in `Int64`.
    private mutating func integer() -> Int64? {
        let negative = take(UInt8(ascii: "-"))
        let start = index
        var magnitude: UInt64 = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            let (times, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            magnitude = sum
            index += 1
        }
        let digits = index - start
        // No digits, a leading zero ("01"), or a fraction or exponent: the full parser decides.
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// A string's contents as a `String`; nil when it has an escape, a control character or invalid UTF-8.
    private mutating func string() -> String? {
        guard let range = rawString() else { return nil }
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        if slice.allSatisfy({ $0 < 0x80 }) { return String(decoding: slice, as: UTF8.self) }
        return String(validating: slice, as: UTF8.self)
    }

    /// The byte range between a string's quotes; nil when it has an escape or a control character.
    private mutating func rawString() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return start..<(index - 1)
            case UInt8(ascii: "\\"), 0x00..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    private func equal(_ range: Range<Int>, _ expected: [UInt8]) -> Bool {
        range.count == expected.count && zip(bytes[range], expected).allSatisfy { $0 == $1 }
    }

    private mutating func colon() -> Bool {
        skipWhitespace()
        guard take(UInt8(ascii: ":")) else { return false }
        skipWhitespace()
        return true
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func takeLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
        index += count
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }
}
