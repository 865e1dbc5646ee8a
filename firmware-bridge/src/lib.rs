//! Serial GNSS and barcode scanner bridge (see issue 4).
