import Foundation

/// The content of the `checkpoint` file (called `snapshot` up to 0.3): the whole model and the last journal
/// sequence number it includes.
///
/// Written in the binary format 3 (``CheckpointBinary``); the JSON format 1 of
/// earlier versions is still read, so an upgrade needs no migration step.
struct CheckpointFile: Codable {
    /// The JSON layout's format number.
    static let currentFormat = 1

    var format: Int
    /// The last journal record folded into `model`; replay skips records up to it.
    var journalSeq: UInt64
    var serial: UInt32
    var model: FailoverModel

    init(journalSeq: UInt64, model: FailoverModel) {
        self.format = Self.currentFormat
        self.journalSeq = journalSeq
        self.serial = model.serial
        self.model = model
    }

    func encoded() -> [UInt8] {
        CheckpointBinary.encode(journalSeq: journalSeq, model: model)
    }

    /// The format 1 JSON form (what earlier versions wrote; for upgrade tests).
    func encodedAsJSON() throws(FailoverError) -> [UInt8] {
        do {
            return Array(try JournalRecord.encoder.encode(self))
        } catch {
            throw FailoverError(.internal, "cannot encode the checkpoint: \(error)")
        }
    }

    /// Parses a checkpoint; the error names the path and, when the JSON parser reports it, the byte offset.
    static func decode(_ bytes: [UInt8], path: String) throws(FailoverError) -> CheckpointFile {
        let advice = "restore the state directory from a backup; failoverd will not start on a damaged checkpoint"
        if CheckpointBinary.matches(bytes) {
            let decoded: (journalSeq: UInt64, model: FailoverModel)
            do {
                decoded = try CheckpointBinary.decode(bytes)
            } catch {
                throw .corrupt("checkpoint \(path) is damaged at byte offset \(error.offset): \(error.reason); \(advice)")
            }
            if let violation = decoded.model.invariantViolation() {
                throw .corrupt("checkpoint \(path) at byte offset 0 is inconsistent: \(violation); \(advice)")
            }
            return CheckpointFile(journalSeq: decoded.journalSeq, model: decoded.model)
        }
        let checkpoint: CheckpointFile
        do {
            checkpoint = try JSONDecoder().decode(CheckpointFile.self, from: Data(bytes))
        } catch {
            let offset = byteOffset(of: error).map { "at byte offset \($0)" } ?? "at byte offset 0 (whole file)"
            throw .corrupt("checkpoint \(path) is damaged \(offset): \(describe(error)); \(advice)")
        }
        guard checkpoint.format == currentFormat else {
            throw .corrupt(
                "checkpoint \(path) has format \(checkpoint.format) at byte offset 0; this failoverd reads format "
                    + "\(currentFormat): run the newer failoverd that wrote it"
            )
        }
        if checkpoint.serial != checkpoint.model.serial {
            throw .corrupt("checkpoint \(path) at byte offset 0: serial \(checkpoint.serial) disagrees with its model")
        }
        if let violation = checkpoint.model.invariantViolation() {
            throw .corrupt("checkpoint \(path) at byte offset 0 is inconsistent: \(violation); \(advice)")
        }
        return checkpoint
    }

    private static func byteOffset(of error: any Error) -> Int? {
        var current: (any Error)? = error
        while let error = current {
            let nsError = error as NSError
            if let index = nsError.userInfo["NSJSONSerializationErrorIndex"] as? Int { return index }
            if case DecodingError.dataCorrupted(let context) = error {
                current = context.underlyingError
            } else {
                current = nsError.userInfo[NSUnderlyingErrorKey] as? any Error
            }
        }
        return nil
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.keyNotFound(_, let context),
            DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}
