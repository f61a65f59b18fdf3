//! placeholder
use mlua::{Lua, Table};

pub fn open(lua: &Lua) -> mlua::Result<Table<'_>> {
    lua.create_table()
}
