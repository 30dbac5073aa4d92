// libFuzzer entry point of the `control` target; the checks live in
// Tests/FuzzRegressionTests/ControlCheck.swift, shared with the regression tests.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    if let problem = ControlCheck.check(input) { fatalError("control: \(problem)") }
    return 0
}
