import FailoverCore
import Testing
import TestSupport

/// The `model` fuzz target's check on seeded random inputs in every test run,
/// so the property holds in CI between long fuzzing runs.
@Suite struct ModelPropertyTests {
    @Test func randomMutationSequencesKeepTheModelsInvariants() {
        var random = SeededRandom(seed: 0x5EED_0D11)
        var applied = 0
        for run in 0..<400 {
            let bytes = (0..<Int.random(in: 3...150, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if let problem = ModelCheck.check(bytes, applied: &applied) {
                Issue.record("run \(run): \(problem); input \(bytes)")
                return
            }
        }
        // Random bytes must reach past the refusals: groups created, switched, applied, deleted.
        #expect(applied > 1_000, "only \(applied) mutations applied in 400 runs")
    }
}
