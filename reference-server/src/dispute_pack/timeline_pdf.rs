//! The timeline as an A4 PDF per language, drawn from the same rows as the
//! HTML ([`super::timeline`]) with the day sheet's text layer
//! (`courier_pdf_text`: embedded Noto fonts, Arabic shaped and set right to
//! left, right-aligned).

use courier_pdf_text::{FontsDamaged, PAGE_H, PAGE_W, PdfFonts, Weight, a4_document};
use courier_protocol::day_window::DayWindow;
use pdf_writer::Content;

use super::evidence::Evidence;
use super::timeline::{heading, rows};
use super::timeline_words::TimelineLang;

const MARGIN: f32 = 40.0;
const BODY: f32 = 9.0;
const LINE: f32 = 12.0;
/// Lines one piece of text may wrap to.
const MAX_WRAP: usize = 6;

/// Where the pen is: pages done, the page being drawn, the height.
struct Pen<'a> {
    fonts: &'a mut PdfFonts,
    lang: TimelineLang,
    pages: Vec<Content>,
    page: Content,
    y: f32,
}

impl Pen<'_> {
    /// Writes `text` wrapped to the page's width, starting a page when full.
    fn text(&mut self, text: &str, weight: Weight, size: f32, indent: f32) {
        let width = PAGE_W - 2.0 * MARGIN - indent;
        // The Arabic face has no middle dot nor em dash: plain hyphens there.
        let text = if self.lang.rtl() {
            text.replace(['·', '—'], "-")
        } else {
            text.to_owned()
        };
        for line in self.fonts.wrap(&text, weight, size, width, MAX_WRAP) {
            if self.y < MARGIN + LINE {
                self.pages
                    .push(std::mem::replace(&mut self.page, Content::new()));
                self.y = PAGE_H - MARGIN;
            }
            self.y -= size + 3.0;
            if self.lang.rtl() {
                let right = PAGE_W - MARGIN - indent;
                self.fonts
                    .draw_right(&mut self.page, &line, weight, size, right, self.y);
            } else {
                let x = MARGIN + indent;
                self.fonts
                    .draw(&mut self.page, &line, weight, size, x, self.y);
            }
        }
    }
}

/// The timeline in `lang` as PDF bytes.
pub fn pdf(
    ev: &Evidence,
    lang: TimelineLang,
    offset_min: i32,
    made_at_ms: i64,
) -> Result<Vec<u8>, FontsDamaged> {
    let mut fonts = PdfFonts::new()?;
    let w = |k: &str| lang.word(k);
    let title = format!("{} {}", w("title"), ev.order_ref);
    let mut pen = Pen {
        fonts: &mut fonts,
        lang,
        pages: Vec::new(),
        page: Content::new(),
        y: PAGE_H - MARGIN,
    };
    pen.text(&title, Weight::Bold, 14.0, 0.0);
    pen.y -= 4.0;
    pen.text(&w("intro"), Weight::Regular, BODY, 0.0);
    let made = DayWindow::containing(made_at_ms, offset_min).format_time(made_at_ms);
    pen.text(
        &format!("{} {made}", w("generated")),
        Weight::Regular,
        BODY,
        0.0,
    );
    pen.y -= 4.0;
    for line in heading(ev, lang, offset_min) {
        pen.text(&line, Weight::Regular, 8.0, 0.0);
    }
    for r in rows(ev, lang, offset_min) {
        pen.y -= 6.0;
        pen.text(&format!("{} · {}", r.time, r.what), Weight::Bold, BODY, 0.0);
        pen.text(&r.who, Weight::Regular, BODY, 12.0);
        pen.text(
            &format!("{}: {}", w("where"), r.place),
            Weight::Regular,
            BODY,
            12.0,
        );
        for d in &r.details {
            pen.text(d, Weight::Regular, BODY, 12.0);
        }
    }
    let mut pages = pen.pages;
    pages.push(pen.page);
    let footer_text = format!("{title} · README.txt");
    Ok(a4_document(
        &mut fonts,
        pages,
        |c, fonts, page, total| {
            let text = format!("{page}/{total} · {footer_text}");
            let text = fonts.fit(&text, Weight::Regular, 7.0, PAGE_W - 2.0 * MARGIN);
            fonts.draw(c, &text, Weight::Regular, 7.0, MARGIN, MARGIN - 16.0);
        },
        &title,
        "escrow-server",
    ))
}
