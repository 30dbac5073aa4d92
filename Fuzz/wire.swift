// libFuzzer entry point of the `wire` target; the checks live in
// Tests/FuzzRegressionTests/WireCheck.swift, shared with the regression tests.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // Handed over in place: libFuzzer's buffer is exactly `size` bytes long.
    let input = UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size)
    if let problem = WireCheck.check(input) { fatalError("wire: \(problem)") }
    return 0
}
