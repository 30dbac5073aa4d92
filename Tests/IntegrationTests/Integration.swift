import Testing

/// Every integration suite runs inside this one, one test at a time: each
/// starts its own failoverd (and NSD) on free loopback ports, and the machine
/// is small, so running them side by side would only add timing noise.
@Suite(.serialized)
enum Integration {}
