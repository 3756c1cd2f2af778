"""`prereview serve`, `prereview token create|list|revoke`, `prereview db upgrade`."""
from __future__ import annotations

import argparse
import sys


def add_parsers(sub) -> None:
    s = sub.add_parser("serve", help="启动 HTTP 审查服务 (FastAPI + uvicorn)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000, help="端口（0＝任选空闲端口，启动信息中给出）")
    s.add_argument("--workers", type=int, metavar="N", help="规则审查进程数（默认 2；亦可用 PREREVIEW_WORKERS）")
    s.add_argument("--data-dir", help="数据文件夹（默认 PREREVIEW_DATA_DIR 或 ~/.local/share/prereview）")

    t = sub.add_parser("token", help="管理访问令牌")
    tsub = t.add_subparsers(dest="token_command", required=True, metavar="SUBCOMMAND")
    c = tsub.add_parser("create", help="新建令牌（只显示这一次）")
    c.add_argument("--org", required=True, help="所属机构")
    c.add_argument("--role", required=True, choices=("submitter", "reviewer", "admin"))
    c.add_argument("--name", default="", help="令牌名称（如使用人）")
    c.add_argument("--data-dir")
    ls = tsub.add_parser("list", help="列出令牌（不含令牌本身）")
    ls.add_argument("--data-dir")
    r = tsub.add_parser("revoke", help="吊销令牌")
    r.add_argument("token_id", metavar="ID")
    r.add_argument("--data-dir")

    d = sub.add_parser("db", help="数据库")
    dsub = d.add_subparsers(dest="db_command", required=True, metavar="SUBCOMMAND")
    u = dsub.add_parser("upgrade", help="建立或升级数据库结构")
    u.add_argument("--data-dir")


def _settings(args):
    from pathlib import Path

    from .settings import Settings
    return Settings.from_env(data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
                             workers=getattr(args, "workers", None))


def _sessions(settings):
    from . import db
    engine = db.make_engine(settings.url)
    db.upgrade(engine)
    return db.sessions(engine)


def cmd_serve(args) -> int:
    import uvicorn

    from .http import create_app

    settings = _settings(args)
    print(f"数据库：{settings.url if not settings.database_url else '(PREREVIEW_DATABASE_URL)'}", file=sys.stderr)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info",
                timeout_graceful_shutdown=10)
    return 0


def cmd_token(args) -> int:
    from . import tokens

    sessions = _sessions(_settings(args))
    with sessions() as db:
        if args.token_command == "create":
            try:
                row, secret = tokens.create(db, args.org, args.role, args.name)
            except ValueError as err:
                print(str(err), file=sys.stderr)
                return 2
            print(secret)
            print(f"已新建令牌 {row.id}（机构 {row.org}，角色 {row.role}）；令牌只显示这一次，请妥善保存", file=sys.stderr)
        elif args.token_command == "list":
            for t in tokens.listing(db):
                state = f"已吊销 {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "有效"
                print(f"{t.id}  {t.role:<9}  {t.org}  {t.name}  {t.created_at:%Y-%m-%d %H:%M}  {state}")
        else:
            if not tokens.revoke(db, args.token_id):
                print(f"没有令牌 {args.token_id}", file=sys.stderr)
                return 2
            print(f"已吊销令牌 {args.token_id}", file=sys.stderr)
    return 0


def cmd_db(args) -> int:
    settings = _settings(args)
    _sessions(settings)
    print(f"数据库结构已是最新：{settings.url if not settings.database_url else '(PREREVIEW_DATABASE_URL)'}",
          file=sys.stderr)
    return 0


HANDLERS = {"serve": cmd_serve, "token": cmd_token, "db": cmd_db}
