// libFuzzer entry point of the `zone` target; the checks live in
// Tests/FuzzRegressionTests/ZoneCheck.swift, shared with the regression tests.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    if let problem = ZoneCheck.check(input) { fatalError("zone: \(problem)") }
    return 0
}
