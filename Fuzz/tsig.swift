// libFuzzer entry point of the `tsig` target; the checks live in
// Tests/FuzzRegressionTests/TSIGCheck.swift, shared with the regression tests.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    if let problem = TSIGCheck.check(input) { fatalError("tsig: \(problem)") }
    return 0
}
