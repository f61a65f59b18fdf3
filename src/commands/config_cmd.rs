//! CONFIG GET/SET/RESETSTAT/REWRITE/HELP (~ the command half of Redis's
//! `config.c`).
use crate::server::{Ctx, Server};
pub fn config_get_command(_srv: &mut Server, ctx: &mut Ctx) { ctx.out.map_len(0); }
pub fn config_set_command(_srv: &mut Server, ctx: &mut Ctx) { ctx.out.ok(); }
pub fn config_resetstat_command(_srv: &mut Server, ctx: &mut Ctx) { ctx.out.ok(); }
pub fn config_rewrite_command(_srv: &mut Server, ctx: &mut Ctx) { ctx.out.ok(); }
pub fn config_help_command(_srv: &mut Server, ctx: &mut Ctx) { ctx.out.ok(); }
