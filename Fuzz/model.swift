// libFuzzer entry point of the `model` target (stateful: sequences of control
// mutations against the failover model); the checks live in
// Tests/FuzzRegressionTests/ModelCheck.swift, shared with the regression tests.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    if let problem = ModelCheck.check(input) { fatalError("model: \(problem)") }
    return 0
}
