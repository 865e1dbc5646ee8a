//! Text in a PDF: the embedded Noto fonts (Latin regular and bold, Arabic),
//! shaped with HarfRust so Arabic letters join and read right to left.
//!
//! Each font is an embedded TrueType (`CIDFontType2`, `Identity-H`). Every
//! glyph is placed where HarfRust put it: its declared width is the first
//! advance the shaper gave it, and any difference (kerning, joining, mark
//! offsets) is a `TJ` adjustment. A `ToUnicode` map lets readers copy and
//! search the text.
//!
//! Bidirectional text is handled by runs, enough for names, labels and notes:
//! a line whose first strong letter is Arabic reads right to left (its runs
//! are laid out in reverse order); Arabic runs are shaped right to left, the
//! rest (Latin, digits) left to right.

use std::collections::BTreeMap;

use harfrust::{Direction, FontRef, ShapeOptions, ShaperData, UnicodeBuffer, script};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Chunk, Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const NOTO_SANS: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf");
const NOTO_SANS_BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Bold.ttf");
const NOTO_SANS_ARABIC: &[u8] = include_bytes!("../../assets/fonts/NotoSansArabic-Regular.ttf");

/// Which face a piece of text is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// Regular.
    Regular,
    /// Bold (Latin only; Arabic stays regular).
    Bold,
}

/// One embedded font.
struct Face {
    resource: &'static str,
    base: &'static str,
    data: &'static [u8],
    shaper: ShaperData,
    upem: f32,
    /// Glyph → the text it stands for, for the `ToUnicode` map.
    used: BTreeMap<u16, String>,
    /// Glyph → its width as declared in the PDF (the first advance shaped).
    widths: BTreeMap<u16, f32>,
}

impl Face {
    fn new(resource: &'static str, base: &'static str, data: &'static [u8]) -> Option<Face> {
        let font = FontRef::new(data).ok()?;
        let shaper = ShaperData::new(&font);
        let upem = f32::from(shaper.shaper(&font).build().units_per_em() as u16);
        Some(Face {
            resource,
            base,
            data,
            shaper,
            upem,
            used: BTreeMap::new(),
            widths: BTreeMap::new(),
        })
    }
}

/// A shaped glyph: its face, id, and placement in thousandths of an em.
#[derive(Debug, Clone, Copy)]
struct Glyph {
    face: usize,
    id: u16,
    /// The width the PDF declares for the glyph (a reader's text extraction
    /// relies on it); the shaped advance may differ (kerning, joining).
    width: f32,
    advance: f32,
    dx: f32,
    dy: f32,
}

/// The document's fonts: shapes text, measures it and writes it.
pub struct PdfFonts {
    faces: Vec<Face>,
}

const LATIN: usize = 0;
const LATIN_BOLD: usize = 1;
const ARABIC: usize = 2;

/// The embedded fonts could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the fonts built into this program cannot be read: the build is damaged, reinstall it")]
pub struct FontsDamaged;

impl PdfFonts {
    /// Loads the built-in fonts.
    pub fn new() -> Result<PdfFonts, FontsDamaged> {
        Ok(PdfFonts {
            faces: vec![
                Face::new("F1", "NotoSans-Regular", NOTO_SANS).ok_or(FontsDamaged)?,
                Face::new("F2", "NotoSans-Bold", NOTO_SANS_BOLD).ok_or(FontsDamaged)?,
                Face::new("F3", "NotoSansArabic-Regular", NOTO_SANS_ARABIC).ok_or(FontsDamaged)?,
            ],
        })
    }

    /// Lays a line out in visual order, left to right.
    fn shape(&mut self, text: &str, weight: Weight) -> Vec<Glyph> {
        let runs = runs(text);
        let rtl = runs.first().is_some_and(|r| r.1);
        let ordered: Vec<&(String, bool)> = if rtl {
            runs.iter().rev().collect()
        } else {
            runs.iter().collect()
        };
        let mut out = Vec::new();
        for (run, arabic) in ordered {
            let face_ix = match (arabic, weight) {
                (true, _) => ARABIC,
                (false, Weight::Regular) => LATIN,
                (false, Weight::Bold) => LATIN_BOLD,
            };
            let face = &mut self.faces[face_ix];
            let Ok(font) = FontRef::new(face.data) else {
                continue;
            };
            let shaper = face.shaper.shaper(&font).build();
            let mut buffer = UnicodeBuffer::new();
            buffer.push_str(run);
            if *arabic {
                buffer.set_direction(Direction::RightToLeft);
                buffer.set_script(script::ARABIC);
            } else {
                buffer.set_direction(Direction::LeftToRight);
                buffer.set_script(script::LATIN);
            }
            let shaped = shaper.shape(buffer, ShapeOptions::new());
            let infos = shaped.glyph_infos();
            let positions = shaped.glyph_positions();
            let scale = 1000.0 / face.upem;
            for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
                let id = u16::try_from(info.glyph_id).unwrap_or(0);
                // The text of the glyph's cluster, given to its first glyph.
                let cluster = info.cluster as usize;
                let first = i == 0 || infos[i - 1].cluster != info.cluster;
                if first && !face.used.contains_key(&id) {
                    let end = infos
                        .iter()
                        .map(|g| g.cluster as usize)
                        .filter(|&c| c > cluster)
                        .min()
                        .unwrap_or(run.len());
                    if let Some(s) = run.get(cluster..end) {
                        face.used.insert(id, s.to_owned());
                    }
                }
                let advance = pos.x_advance as f32 * scale;
                let width = *face.widths.entry(id).or_insert(advance);
                out.push(Glyph {
                    face: face_ix,
                    id,
                    width,
                    advance,
                    dx: pos.x_offset as f32 * scale,
                    dy: pos.y_offset as f32 * scale,
                });
            }
        }
        out
    }

    /// Width of a line at `size` points.
    pub fn width(&mut self, text: &str, weight: Weight, size: f32) -> f32 {
        self.shape(text, weight)
            .iter()
            .map(|g| g.advance)
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// The longest start of `text` (with "…" when cut) that fits in `max` points.
    pub fn fit(&mut self, text: &str, weight: Weight, size: f32, max: f32) -> String {
        if self.width(text, weight, size) <= max {
            return text.to_owned();
        }
        let chars: Vec<char> = text.chars().collect();
        let (mut lo, mut hi) = (0, chars.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let candidate: String = chars[..mid].iter().collect::<String>() + "…";
            if self.width(&candidate, weight, size) <= max {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        chars[..lo].iter().collect::<String>().trim_end().to_owned() + "…"
    }

    /// Breaks `text` into at most `max_lines` lines of at most `max` points,
    /// at spaces; the last line is cut with "…" when the text does not fit.
    pub fn wrap(
        &mut self,
        text: &str,
        weight: Weight,
        size: f32,
        max: f32,
        max_lines: usize,
    ) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut current = String::new();
        let mut words = text.split(' ').filter(|w| !w.is_empty()).peekable();
        while let Some(word) = words.next() {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if current.is_empty() || self.width(&candidate, weight, size) <= max {
                current = candidate;
                continue;
            }
            lines.push(std::mem::take(&mut current));
            if lines.len() + 1 == max_lines {
                let rest: Vec<&str> = std::iter::once(word).chain(words.by_ref()).collect();
                current = rest.join(" ");
                break;
            }
            current = word.to_owned();
        }
        if !current.is_empty() || lines.is_empty() {
            lines.push(current);
        }
        for line in &mut lines {
            *line = self.fit(line, weight, size, max);
        }
        lines
    }

    /// Writes a line with its left end at (`x`, `y`).
    pub fn draw(
        &mut self,
        content: &mut Content,
        text: &str,
        weight: Weight,
        size: f32,
        x: f32,
        y: f32,
    ) {
        let glyphs = self.shape(text, weight);
        if glyphs.is_empty() {
            return;
        }
        content.begin_text();
        content.next_line(x, y);
        let mut i = 0;
        while i < glyphs.len() {
            let (face, dy) = (glyphs[i].face, glyphs[i].dy);
            let end = i + glyphs[i..]
                .iter()
                .take_while(|g| g.face == face && g.dy == dy)
                .count();
            content.set_font(Name(self.faces[face].resource.as_bytes()), size);
            content.set_rise(dy * size / 1000.0);
            let mut tj = content.show_positioned();
            let mut items = tj.items();
            for g in &glyphs[i..end] {
                if g.dx != 0.0 {
                    items.adjust(-g.dx);
                }
                items.show(Str(&g.id.to_be_bytes()));
                let rest = g.advance - g.dx - g.width;
                if rest != 0.0 {
                    items.adjust(-rest);
                }
            }
            items.finish();
            tj.finish();
            i = end;
        }
        content.set_rise(0.0);
        content.end_text();
    }

    /// Writes a line with its right end at `right`.
    pub fn draw_right(
        &mut self,
        content: &mut Content,
        text: &str,
        weight: Weight,
        size: f32,
        right: f32,
        y: f32,
    ) {
        let w = self.width(text, weight, size);
        self.draw(content, text, weight, size, right - w, y);
    }

    /// Names and writes the fonts' objects; `alloc` hands out object ids.
    /// Returns each font's resource name and reference for the pages.
    pub fn write(
        &self,
        chunk: &mut Chunk,
        mut alloc: impl FnMut() -> Ref,
    ) -> Vec<(&'static str, Ref)> {
        let info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        let mut out = Vec::new();
        for face in &self.faces {
            let (type0, cid, descriptor, file, cmap) =
                (alloc(), alloc(), alloc(), alloc(), alloc());
            let base = Name(face.base.as_bytes());
            chunk
                .type0_font(type0)
                .base_font(base)
                .encoding_predefined(Name(b"Identity-H"))
                .descendant_font(cid)
                .to_unicode(cmap);
            let mut c = chunk.cid_font(cid);
            c.subtype(CidFontType::Type2)
                .base_font(base)
                .system_info(info)
                .font_descriptor(descriptor)
                .default_width(0.0)
                .cid_to_gid_map_predefined(Name(b"Identity"));
            let mut w = c.widths();
            for (id, width) in &face.widths {
                w.consecutive(*id, [*width]);
            }
            w.finish();
            c.finish();
            chunk
                .font_descriptor(descriptor)
                .name(base)
                .flags(FontFlags::NON_SYMBOLIC)
                .bbox(Rect::new(-1000.0, -500.0, 2500.0, 1300.0))
                .italic_angle(0.0)
                .ascent(1069.0)
                .descent(-293.0)
                .cap_height(714.0)
                .stem_v(80.0)
                .font_file2(file);
            let packed = miniz_oxide::deflate::compress_to_vec_zlib(face.data, 6);
            chunk
                .stream(file, &packed)
                .filter(Filter::FlateDecode)
                .pair(
                    Name(b"Length1"),
                    i32::try_from(face.data.len()).unwrap_or(i32::MAX),
                );
            let mut map = UnicodeCmap::new(Name(b"Custom"), info);
            for (id, text) in &face.used {
                map.pair_with_multiple(*id, text.chars());
            }
            chunk.cmap(cmap, &map.finish());
            out.push((face.resource, type0));
        }
        out
    }
}

/// An A4 page's width, in points.
pub const PAGE_W: f32 = 595.28;
/// An A4 page's height, in points.
pub const PAGE_H: f32 = 841.89;

/// Assembles A4 pages into one PDF: `footer(content, fonts, page, total)`
/// draws each page's footer (pages count from 1), then the contents are
/// compressed and the fonts embedded once, as resources of the page tree.
pub fn a4_document(
    fonts: &mut PdfFonts,
    pages: Vec<Content>,
    mut footer: impl FnMut(&mut Content, &mut PdfFonts, usize, usize),
    title: &str,
    creator: &str,
) -> Vec<u8> {
    let total = pages.len();
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        next += 1;
        Ref::new(next)
    };
    let catalog = Ref::new(1);
    let tree = alloc();
    let page_ids: Vec<(Ref, Ref)> = (0..total).map(|_| (alloc(), alloc())).collect();
    let info = alloc();
    for (i, mut content) in pages.into_iter().enumerate() {
        footer(&mut content, fonts, i + 1, total);
        let (page_id, content_id) = page_ids[i];
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(&content.finish(), 6);
        pdf.stream(content_id, &packed).filter(Filter::FlateDecode);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(content_id);
        page.finish();
    }
    let font_refs = fonts.write(&mut pdf, &mut alloc);
    // Fonts are resources of the page tree, inherited by every page.
    let mut tree_w = pdf.pages(tree);
    tree_w
        .kids(page_ids.iter().map(|p| p.0))
        .count(i32::try_from(total).unwrap_or(i32::MAX));
    {
        let mut resources = tree_w.resources();
        let mut f = resources.fonts();
        for (name, id) in &font_refs {
            f.pair(Name(name.as_bytes()), *id);
        }
    }
    tree_w.finish();
    pdf.catalog(catalog).pages(tree);
    pdf.document_info(info)
        .title(TextStr(title))
        .creator(TextStr(creator));
    pdf.finish()
}

fn is_arabic(c: char) -> bool {
    matches!(c as u32, 0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF)
}

/// Splits a line into runs of Arabic and of other text; spaces join the run
/// before them (the first run, at the start). Punctuation and symbols outside
/// the Arabic blocks (`(`, `#`, `±`, `·`, ...) are set in the Latin face,
/// which has them: the Arabic face lacks most of them.
fn runs(text: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let first_strong = text
        .chars()
        .find(|c| c.is_alphanumeric())
        .is_some_and(is_arabic);
    for c in text.chars() {
        let arabic = if !c.is_whitespace() {
            is_arabic(c)
        } else {
            out.last().map_or(first_strong, |r| r.1)
        };
        match out.last_mut() {
            Some(run) if run.1 == arabic => run.0.push(c),
            _ => out.push((c.to_string(), arabic)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_letters_are_joined_and_laid_out_right_to_left() {
        let mut fonts = PdfFonts::new().expect("fonts");
        // "سارة": shaped, the four letters take their joining forms, and the
        // first letter (sin) ends up last, at the right.
        let glyphs = fonts.shape("سارة", Weight::Regular);
        assert_eq!(glyphs.len(), 4);
        assert!(glyphs.iter().all(|g| g.face == ARABIC && g.id != 0));
        let isolated = fonts.shape("س", Weight::Regular)[0].id;
        assert_ne!(glyphs[3].id, isolated, "initial form, not isolated");
        assert_eq!(
            runs("Karim سارة 12"),
            [
                ("Karim ".to_owned(), false),
                ("سارة ".to_owned(), true),
                ("12".to_owned(), false)
            ]
        );
    }

    #[test]
    fn long_text_is_cut_to_fit_with_an_ellipsis() {
        let mut fonts = PdfFonts::new().expect("fonts");
        let fitted = fonts.fit(
            "Refusé après inspection (produit endommagé)",
            Weight::Regular,
            8.0,
            60.0,
        );
        assert!(fitted.ends_with('…'));
        assert!(fonts.width(&fitted, Weight::Regular, 8.0) <= 60.0);
        assert_eq!(fonts.fit("Livré", Weight::Regular, 8.0, 60.0), "Livré");
        let lines = fonts.wrap(
            "Refusé après inspection (produit endommagé) et encore bien plus de mots",
            Weight::Regular,
            8.0,
            80.0,
            2,
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "Refusé après");
        assert!(lines[1].ends_with('…'));
        assert!(
            lines
                .iter()
                .all(|l| fonts.width(l, Weight::Regular, 8.0) <= 80.0)
        );
        assert_eq!(fonts.wrap("", Weight::Regular, 8.0, 80.0, 2), [""]);
    }
}
