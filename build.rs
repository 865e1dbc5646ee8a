//! Compiles the Slint UI (`ui/`) with its bundled translations.

fn main() {
    // Debug info lets the UI tests find elements; release builds leave it out.
    let debug_info = std::env::var("PROFILE")
        .map(|p| p == "debug")
        .unwrap_or(false)
        || std::env::var_os("SLINT_EMIT_DEBUG_INFO").is_some();
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent-light".into())
        .with_bundled_translations("ui/translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_debug_info(debug_info);
    if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
        println!("cargo:warning=Slint UI failed to compile: {e}");
        std::process::exit(1);
    }
    println!("cargo:rerun-if-changed=ui");
    println!("cargo:rerun-if-changed=assets/fonts");
}
