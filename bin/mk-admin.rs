//! `mk-admin`: schema install and migrations, first `super_admin`, route table,
//! demo data. See `mk-admin --help`.

fn main() -> std::process::ExitCode {
    mykollector::cli::admin::main()
}
