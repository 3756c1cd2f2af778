"""The schema comes from the migrations, matches the models, and `prereview db upgrade` can run again."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from prereview.api.service import db


def test_the_migrations_give_the_schema_the_models_describe(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    db.upgrade(engine)
    db.upgrade(engine)  # again: nothing to do
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.Base.metadata) == []
        # the newest migration, and a single head (two heads would be a branch nobody merged)
        from alembic.script import ScriptDirectory

        (head,) = ScriptDirectory(str(Path(db.__file__).parent / "migrations")).get_heads()
        assert head == sorted(p.name for p in (Path(db.__file__).parent / "migrations" / "versions").glob("0*.py"))[-1][:4]
        assert conn.execute(sqlalchemy.text("select version_num from alembic_version")).scalar() == head


def test_db_upgrade_command_creates_the_data_folder_and_database(tmp_path):
    data = tmp_path / "new" / "data"
    env = dict(os.environ, PREREVIEW_DATA_DIR=str(data))
    out = subprocess.run([sys.executable, "-m", "prereview.api.cli", "db", "upgrade"], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "数据库结构已是最新" in out.stderr and (data / "prereview.sqlite3").is_file()
    listed = subprocess.run([sys.executable, "-m", "prereview.api.cli", "token", "create", "--org", "甲", "--role",
                             "nobody"], env=env, capture_output=True, text=True)
    assert listed.returncode == 2 and "invalid choice" in listed.stderr


def test_token_commands_print_the_token_once_and_list_without_it(tmp_path):
    env = dict(os.environ, PREREVIEW_DATA_DIR=str(tmp_path))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "prereview.api.cli", "token", *args], env=env,
                              capture_output=True, text=True)
    made = run("create", "--org", "武威市司法局", "--role", "reviewer", "--name", "李四")
    assert made.returncode == 0 and made.stdout.startswith("prv_") and "只显示这一次" in made.stderr
    token = made.stdout.strip()
    token_id = token.split("_")[1]
    listed = run("list")
    assert token_id in listed.stdout and token.split("_", 2)[2] not in listed.stdout and "有效" in listed.stdout
    assert run("revoke", token_id).returncode == 0
    assert "已吊销" in run("list").stdout
    assert run("revoke", "0000000000000000").returncode == 2
