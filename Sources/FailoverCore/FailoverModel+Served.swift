extension FailoverModel {
    /// A small number for `id`: stable while the app exists, handed to a new
    /// app after it is removed, below ``appNumberBound``. The served snapshot
    /// indexes its answers by it. Apps read from a checkpoint file are numbered
    /// in file order from 0.
    public func appNumber(of id: AppID) -> Int32? {
        guard let slot = appStore.slot(of: id), appStore.isApp(slot) else { return nil }
        return Int32(slot)
    }

    /// One past the highest app number in use or free.
    public var appNumberBound: Int32 { Int32(appStore.rows.count) }

    /// The app numbered `number`, if any.
    public func app(number: Int32) -> App? {
        guard number >= 0, number < appNumberBound, appStore.isApp(Int(number)) else { return nil }
        return appStore.app(at: Int(number))
    }

    /// Each group as DNS serves it, in no particular order: its address, the
    /// number of its active app (-1: none) and the due time of its pending
    /// switch (0: none). O(groups), building no ``Group`` values.
    public func forEachServedGroup(_ body: (_ address: UInt32, _ activeApp: Int32, _ due: Int64) -> Void) {
        for row in groupStore.liveRows {
            let fields = groupStore.rows[row]
            body(fields.address, Int32(fields.app(fields.active)) - 1, groupStore.pending(of: row)?.due ?? 0)
        }
    }
}
