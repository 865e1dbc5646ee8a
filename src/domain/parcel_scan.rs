//! What a text scanned while a parcel is on screen is: the item collected
//! from the buyer (exchange, pick-up), the parcel's own label again, a parcel
//! of its order of several parcels at the door, or a label to open. The screens route the scan by this answer only.

use super::parcel::Parcel;

/// A text scanned on a parcel's screen, as the rules read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParcelScan {
    /// The item to collect from the buyer, still awaited on an open parcel.
    CollectedItem,
    /// The parcel's own label while its item is awaited: nothing to do.
    OwnLabel,
    /// A parcel of this order of several parcels, at the door: record its scan.
    OrderParcel,
    /// A parcel label: open that parcel (possibly this one again).
    Label,
}

/// Whether the parcel still awaits the item collected from the buyer: an
/// exchange or pick-up with an item to collect, none scanned yet, and still
/// open for delivery today.
pub fn awaits_collected_item(parcel: &Parcel) -> bool {
    parcel.has_item_to_collect() && parcel.collected_label.is_none() && parcel.open_for_delivery()
}

/// What `text`, scanned while `parcel` is on screen, is.
pub fn parcel_scan(parcel: &Parcel, text: &str) -> ParcelScan {
    if parcel.spec.order_parcel(text).is_some()
        && parcel.open_for_delivery()
        && parcel.visit.is_some()
    {
        ParcelScan::OrderParcel
    } else if !awaits_collected_item(parcel) {
        ParcelScan::Label
    } else if text == parcel.spec.label {
        ParcelScan::OwnLabel
    } else {
        ParcelScan::CollectedItem
    }
}

#[cfg(test)]
mod tests {
    use courier_protocol::manifest::Collect;
    use courier_protocol::vocabulary::{Outcome, ParcelKind};

    use super::*;
    use crate::domain::parcel::ParcelState;
    use crate::domain::parcel::tests::spec;

    fn exchange() -> Parcel {
        let mut s = spec(3);
        s.kind = ParcelKind::Exchange;
        s.collect = Some(Collect {
            description: "old phone".into(),
            label: Some("C1".into()),
        });
        Parcel {
            spec: s,
            state: ParcelState::Pending,
            attempts_spent: 0,
            visit: None,
            collected_label: None,
            loaded: false,
            desk: None,
        }
    }

    #[test]
    fn an_open_exchange_awaits_its_item_and_ignores_its_own_label() {
        let p = exchange();
        assert_eq!(parcel_scan(&p, "C1"), ParcelScan::CollectedItem);
        assert_eq!(parcel_scan(&p, "ANY-ITEM"), ParcelScan::CollectedItem);
        assert_eq!(parcel_scan(&p, "L1"), ParcelScan::OwnLabel);
    }

    #[test]
    fn a_plain_delivery_has_no_item_a_scan_is_a_label() {
        let mut p = exchange();
        p.spec.kind = ParcelKind::Delivery;
        p.spec.collect = None;
        assert_eq!(parcel_scan(&p, "C1"), ParcelScan::Label);
        assert_eq!(parcel_scan(&p, "L1"), ParcelScan::Label);
    }

    #[test]
    fn once_collected_or_closed_a_scan_is_a_label() {
        let mut collected = exchange();
        collected.collected_label = Some("C1".into());
        assert_eq!(parcel_scan(&collected, "C2"), ParcelScan::Label);

        let mut delivered = exchange();
        delivered.state = ParcelState::Delivered;
        assert_eq!(parcel_scan(&delivered, "C1"), ParcelScan::Label);

        // Refused after inspection: final, no visit can start again today.
        let mut refused = exchange();
        refused.state = ParcelState::Failed(Outcome::RefusedAfterInspection);
        assert_eq!(parcel_scan(&refused, "C1"), ParcelScan::Label);
    }
}
