//! The checked-in generated protobuf code matches `proto/`.

#[test]
fn generated_code_is_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    xtask::codegen::check(root).expect("stale generated code");
}
