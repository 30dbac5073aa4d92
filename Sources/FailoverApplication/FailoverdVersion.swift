/// The daemon's version, reported by `--version` and `hello`.
public enum FailoverdVersion {
    public static let string = "0.4.0"
}
