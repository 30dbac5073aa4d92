/// The model and a mutation through the bytes written to disk (the binary
/// checkpoint file and a journal record) and back, for the stateful fuzz target
/// and the model property tests. Package access: not part of the API.
extension FailoverModel {
    /// The model as `compact` writes it to the checkpoint file, read back.
    package func throughCheckpointFile() throws(FailoverError) -> FailoverModel {
        let bytes = CheckpointBinary.encode(journalSeq: 1, model: self)
        do {
            return try CheckpointBinary.decode(bytes).model
        } catch {
            throw .corrupt("a checkpoint this failoverd wrote does not read back: \(error.reason) at byte \(error.offset)")
        }
    }
}

extension Mutation {
    /// The mutation as a journal record holds it, read back.
    package func throughJournalRecord() throws(FailoverError) -> Mutation {
        let bytes = MutationBinary.encode(seq: 1, self)
        do {
            return try MutationBinary.decode(bytes[...]).mutation
        } catch {
            throw .corrupt("a journal record this failoverd wrote does not read back: \(error.reason) at byte \(error.offset)")
        }
    }
}
