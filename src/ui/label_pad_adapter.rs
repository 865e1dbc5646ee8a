//! Label keypad: a label typed when the scanner cannot read it, on the route list
//! (the list narrows to the labels containing what is typed; Open resolves it
//! like a scan) or on the parcel screen (the item collected from the buyer).

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, VecModel};

use super::generated::ParcelRow;
use super::worker::Command;
use super::{AppState, LabelPadState, MainWindow, ParcelViewState, RouteListState, Screen, UiCtx};
use crate::domain::digits::label_key;

/// Longest label the pad takes.
const MAX_LEN: usize = 24;

pub(super) fn connect(ui: &MainWindow, ctx: &Rc<UiCtx>) {
    let g = ui.global::<LabelPadState>();
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_key(move |key| {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            let g = ui.global::<LabelPadState>();
            let mut typed = g.get_typed().to_string();
            if let Some(c) = label_key(&key)
                && typed.chars().count() < MAX_LEN
            {
                typed.push(c);
                g.set_typed(typed.into());
                refresh(&ui, &ctx);
            }
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_erase(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            let g = ui.global::<LabelPadState>();
            let mut typed = g.get_typed().to_string();
            typed.pop();
            g.set_typed(typed.into());
            refresh(&ui, &ctx);
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_submit(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            submit(&ui, &ctx);
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_open(move |label| {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            super::clear_banner(&ui);
            ctx.send(Command::Open(label.to_string()));
        }
    });
    // Entry points: the route list's "Type a label", the parcel's "Type the item's label".
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    ui.global::<RouteListState>().on_open_pad(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            open(&ui, &ctx, "route");
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    ui.global::<ParcelViewState>()
        .on_type_order_parcel(move || {
            if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
                open(&ui, &ctx, "order");
            }
        });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    ui.global::<ParcelViewState>().on_type_item(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            open(&ui, &ctx, "collect");
        }
    });
}

fn open(ui: &MainWindow, ctx: &UiCtx, mode: &str) {
    let g = ui.global::<LabelPadState>();
    g.set_mode(mode.into());
    let typed = if mode == "route" {
        ui.global::<RouteListState>().get_typed()
    } else {
        Default::default()
    };
    g.set_typed(typed);
    // The letters of the labels expected here, typed by one key.
    let prefix = if mode == "collect" {
        letters(ui.global::<ParcelViewState>().get_collect_label().as_str())
    } else {
        ctx.parcels
            .borrow()
            .first()
            .map(|p| letters(&p.spec.label))
            .unwrap_or_default()
    };
    g.set_prefix(prefix.into());
    super::clear_banner(ui);
    refresh(ui, ctx);
    ui.global::<AppState>().set_screen(Screen::LabelPad);
}

/// The leading letters of a label ("DZ40000037" -> "DZ").
fn letters(label: &str) -> String {
    label
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect()
}

/// Where Back goes from the pad.
pub(super) fn back_to(ui: &MainWindow) -> Screen {
    let g = ui.global::<LabelPadState>();
    g.set_typed("".into());
    if matches!(g.get_mode().as_str(), "collect" | "order") {
        Screen::Parcel
    } else {
        Screen::Route
    }
}

/// Whether the pad is typing a label of the order at the door.
pub(super) fn typing_order_parcel(ui: &MainWindow) -> bool {
    ui.global::<LabelPadState>().get_mode().as_str() == "order"
}

/// Whether the pad is typing the collected item's label.
pub(super) fn collecting(ui: &MainWindow) -> bool {
    ui.global::<LabelPadState>().get_mode().as_str() == "collect"
}

/// Narrows the route to the labels that contain what is typed.
pub(super) fn refresh(ui: &MainWindow, ctx: &UiCtx) {
    let g = ui.global::<LabelPadState>();
    if g.get_mode().as_str() != "route" {
        return;
    }
    let typed = g.get_typed().to_uppercase();
    let parcels = ctx.parcels.borrow();
    let rows: Vec<ParcelRow> = parcels
        .iter()
        .filter(|p| !typed.is_empty() && p.spec.label.to_uppercase().contains(&typed))
        .map(|p| super::route_list_adapter::row(p, ctx))
        .collect();
    g.set_match_count(i32::try_from(rows.len()).unwrap_or(i32::MAX));
    g.set_matches(ModelRc::new(VecModel::from(rows)));
}

fn submit(ui: &MainWindow, ctx: &UiCtx) {
    let g = ui.global::<LabelPadState>();
    let typed = g.get_typed().trim().to_uppercase();
    if typed.is_empty() {
        return;
    }
    super::clear_banner(ui);
    if collecting(ui) {
        if let Some(label) = ctx.current_label() {
            ctx.send(Command::Collect { label, item: typed });
        }
    } else if typing_order_parcel(ui) {
        if let Some(order) = ctx.current_label() {
            g.set_typed("".into());
            ui.global::<AppState>().set_screen(Screen::Parcel);
            ctx.send(Command::ScanOrderParcel {
                order,
                label: typed,
                typed: true,
            });
        }
    } else {
        // Resolved by the worker like a scan: the label, or the one that ends so.
        ctx.send(Command::Open(typed));
    }
}
