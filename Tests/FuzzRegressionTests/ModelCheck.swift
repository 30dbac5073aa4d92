import FailoverCore

/// One input of the `model` fuzz target: the bytes become a sequence of
/// mutations over a small alphabet of app ids, group addresses and web heads
/// (so they collide and depend on each other, as the platform's requests
/// do), applied one by one to a model. After each: the model's invariants
/// hold; a refused mutation changed nothing; reverting an applied one gives
/// back the model before it; an applied one reads back from its journal
/// record as itself. At the end the model reads back from the checkpoint file
/// as itself. Returns nil when all held, or what broke.
public enum ModelCheck {
    static let appIDs = ["a", "b", "c", "shop", "shop-dr", "x--1"]
    static let addresses: [GroupAddress] = [1, 2, 414_262_781, 999_999_999].map { GroupAddress(value: $0)! }
    static let webHeads: [WebHead?] = [
        nil, try? WebHead.hostname(validating: "lb-1.example.net"), try? WebHead.hostname(validating: "LB-2.Example.NET."),
        try? WebHead.addresses(validating: ["192.0.2.10", "2001:db8::10"]), try? WebHead.addresses(validating: ["::ffff:192.0.2.1"]),
    ]
    /// Mutations tried per input: enough for chains (create, switch, apply, clear, delete), few enough to stay fast.
    static let maxSteps = 48

    public static func check(_ bytes: [UInt8]) -> String? {
        var applied = 0
        return check(bytes, applied: &applied)
    }

    /// The same, counting the mutations that applied (a test checks the inputs reach deep states).
    public static func check(_ bytes: [UInt8], applied: inout Int) -> String? {
        var model = FailoverModel()
        var input = bytes[...]
        var now: Int64 = 1_800_000_000_000
        for _ in 0..<maxSteps {
            guard let mutation = next(&input, now: &now) else { break }
            let before = model
            var undo = FailoverModel.Undo()
            do {
                if try !model.apply(mutation, recordingInto: &undo).isEmpty {
                    applied += 1
                    if let problem = journalProblem(mutation) { return problem }
                }
                if let violation = model.invariantViolation() { return "after \(mutation): \(violation)" }
                var reverted = model
                reverted.revert(undo)
                if reverted != before { return "reverting \(mutation) does not give back the model before it" }
                if let violation = reverted.invariantViolation() { return "after reverting \(mutation): \(violation)" }
            } catch {
                if model != before { return "refused \(mutation) (\(error.message)) changed the model" }
            }
        }
        do {
            if try model.throughCheckpointFile() != model { return "the model does not read back from its checkpoint file" }
        } catch {
            return error.message
        }
        return nil
    }

    /// Why `mutation` does not read back from its journal record as itself, or nil.
    static func journalProblem(_ mutation: Mutation) -> String? {
        do {
            return try mutation.throughJournalRecord() == mutation
                ? nil : "\(mutation) reads back from its journal record as another mutation"
        } catch {
            return error.message
        }
    }

    /// The next mutation from the input, or nil when it runs out.
    static func next(_ input: inout ArraySlice<UInt8>, now: inout Int64) -> Mutation? {
        guard let op = input.popFirst(), let a = input.popFirst(), let b = input.popFirst() else { return nil }
        now += Int64(op >> 4) * 250
        let app = try? AppID(appIDs[Int(a) % appIDs.count])
        let other = try? AppID(appIDs[Int(b) % appIDs.count])
        let address = addresses[Int(a >> 4) % addresses.count]
        let role: Role = b & 1 == 0 ? .primary : .backup
        func change(_ byte: UInt8) -> FieldChange<AppID> {
            switch byte % 3 {
            case 0: .keep
            case 1: .clear
            default: other.map { .set($0) } ?? .keep
            }
        }
        switch op % 9 {
        case 0:
            guard let app, let built = try? App(id: app, name: "App \(b)", webHead: webHeads[Int(b) % webHeads.count])
            else { return nil }
            return .appPut(built)
        case 1:
            return app.map { .appRemove($0) }
        case 2:
            return .groupCreate(address: address, primary: app, backup: b & 2 == 0 ? other : nil, now: now)
        case 3:
            return .groupUpdate(address: address, primary: change(a), backup: change(b),
                                ifVersion: b & 4 == 0 ? nil : UInt64(b >> 3), now: now)
        case 4:
            let delay = Int64(b & 0x0F) * 500
            return .groupSwitch(address: address, to: role, due: now + delay, requestedAt: now, requestedBy: "fuzz")
        case 5:
            return .groupCancel(address: address, now: now)
        case 6:
            return .groupDelete(address: address)
        case 7:
            // The scheduler applies a switch at (or after) the due time it was given.
            return .switchApply(address: address, expectedDue: now - Int64(b & 0x0F) * 500, now: now)
        default:
            return .healthSwitch(address: address, to: role, expectedVersion: UInt64(b & 0x07), now: now)
        }
    }
}
