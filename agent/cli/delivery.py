"""Signing and delivery: `keys init`, `enroll`, `upload`, `outbox list`, `verify`."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli.common import TextJson as Format
from agent.cli.common import emit, err
from agent.errors import UsageError

if TYPE_CHECKING:
    from agent.config import Config

STATE_DIR_ENV = "SCHOOLNET_STATE_DIR"

keys_app = typer.Typer(help="The agent's Ed25519 signing key.", no_args_is_help=True)
outbox_app = typer.Typer(help="Signed reports waiting for the collector.", no_args_is_help=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Config file (TOML).")]
StateDirOption = Annotated[
    Path | None,
    typer.Option("--state-dir", envvar=STATE_DIR_ENV, help="Agent state directory (default: the config's state_dir)."),
]
FormatOption = Annotated[Format, typer.Option("--format", help="text or json.")]


def _config(config: Path | None, *, required: bool) -> Config | None:
    from agent.config import DEFAULT_CONFIG_PATHS, find_config, load_config

    if config is None and not required and not any(p.exists() for p in DEFAULT_CONFIG_PATHS):
        return None
    return load_config(find_config(config))


def _state_dir(state_dir: Path | None, config: Path | None) -> Path:
    if state_dir is not None:
        return state_dir.expanduser()
    from agent.config.sections import AgentConfig

    cfg = _config(config, required=False)
    return (cfg.agent.state_dir if cfg else AgentConfig().state_dir).expanduser()


@keys_app.command("init")
def keys_init(
    config: ConfigOption = None,
    state_dir: StateDirOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key (then enrol again).")] = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Create the agent's Ed25519 key pair in its state directory (private key mode 0600)."""
    from agent.delivery.signing import init_keys, key_paths

    directory = _state_dir(state_dir, config)
    keys = init_keys(directory, force=force)
    private_path, public_path = key_paths(directory)
    data = {"keyid": keys.keyid, "private_key": str(private_path), "public_key": str(public_path)}
    text = f"key {keys.keyid}\n  private: {private_path} (0600)\n  public:  {public_path}"
    emit(json.dumps(data, indent=2) if fmt is Format.json else text)


@keys_app.command("show")
def keys_show(config: ConfigOption = None, state_dir: StateDirOption = None, fmt: FormatOption = Format.text) -> None:
    """Show the key id and public key (never the private key)."""
    from agent.delivery.enroll import enrolment
    from agent.delivery.signing import key_paths, load_keys

    directory = _state_dir(state_dir, config)
    keys = load_keys(directory)
    data = {"keyid": keys.keyid, "public_key": str(key_paths(directory)[1]), "enrolment": enrolment(directory)}
    emit(json.dumps(data, indent=2) if fmt is Format.json else f"key {keys.keyid}\n  public: {data['public_key']}")


def enroll_command(
    url: Annotated[str, typer.Argument(help="The collector's base URL, e.g. https://collector.trust.example")],
    token: Annotated[str, typer.Option("--token", help="One-time enrolment token from the trust.")],
    config: ConfigOption = None,
    state_dir: StateDirOption = None,
    ca_bundle: Annotated[Path | None, typer.Option(help="PEM CA bundle for the collector's certificate.")] = None,
    allow_plain_http: Annotated[
        bool, typer.Option("--allow-plain-http", help="Allow http:// to a non-loopback host (not recommended).")
    ] = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Register this agent's public key with the collector for the token's site (the token works once)."""
    from agent.delivery.enroll import enroll

    cfg = _config(config, required=False)
    directory = state_dir.expanduser() if state_dir else _state_dir(None, config)
    agent_id = (cfg.agent.id if cfg else None) or socket.gethostname()
    if cfg is not None:
        ca_bundle = ca_bundle or cfg.upload.ca_bundle
        allow_plain_http = allow_plain_http or cfg.upload.allow_plain_http
    record = enroll(url, token, directory, agent_id=agent_id, ca_bundle=ca_bundle, allow_plain_http=allow_plain_http)
    text = (
        f"enrolled key {record.get('keyid')} for site {record.get('site_id')} ({record.get('site_name')}), "
        f'trust {record.get("trust")}\nset [upload] enabled = true and url = "{record["collector_url"]}"'
    )
    emit(json.dumps(record, indent=2) if fmt is Format.json else text)


def upload_command(
    config: ConfigOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Send every report waiting in the outbox (retries with back-off; deleted only once acknowledged).

    Exit 0 when the outbox is empty afterwards, 1 when reports still wait or were refused."""
    from agent.delivery.outbox import Outbox
    from agent.delivery.upload import flush

    cfg = _config(config, required=True)
    assert cfg is not None
    if not cfg.upload.url:
        raise UsageError("upload.url: no collector URL configured in [upload]")
    result = flush(Outbox(cfg.agent.state_dir), cfg.upload)
    if fmt is Format.json:
        emit(json.dumps(result.to_dict(), indent=2))
    else:
        lines = [f"delivered {len(result.delivered)}, waiting {len(result.waiting)}, refused {len(result.rejected)}"]
        lines += [f"  waiting {i.report_id}: {i.reason()}" for i in result.waiting]
        lines += [f"  refused {r}: {why}" for r, why in result.rejected]
        emit("\n".join(lines))
    raise typer.Exit(1 if result.waiting or result.rejected else 0)


@outbox_app.command("list")
def outbox_list(config: ConfigOption = None, state_dir: StateDirOption = None, fmt: FormatOption = Format.text) -> None:
    """Show what waits to be uploaded and why (and what the collector refused)."""
    from agent.delivery.outbox import Outbox

    outbox = Outbox(_state_dir(state_dir, config))
    waiting, refused = outbox.items(), outbox.rejected()
    if fmt is Format.json:
        data: dict[str, Any] = {
            "waiting": [{**i.state_dict(), "size_bytes": i.size_bytes, "reason": i.reason()} for i in waiting],
            "rejected": [{**i.state_dict(), "size_bytes": i.size_bytes, "reason": i.last_error} for i in refused],
        }
        emit(json.dumps(data, indent=2))
        return
    if not waiting and not refused:
        emit(f"outbox empty ({outbox.directory})")
        return
    lines = [f"{len(waiting)} waiting, {len(refused)} refused ({outbox.directory})"]
    for item in waiting:
        when = f", next try after {item.next_attempt_at:%Y-%m-%d %H:%M:%S}Z" if item.next_attempt_at else ""
        lines.append(
            f"  {item.report_id}  {item.size_bytes / 1024:.0f} KiB  queued {item.created_at:%Y-%m-%d %H:%M}Z"
            f"  {item.reason()}{when}"
        )
    for item in refused:
        lines.append(f"  REFUSED {item.report_id}: {item.last_error}")
    emit("\n".join(lines))


def verify_command(
    envelope: Annotated[Path, typer.Argument(help="A signed envelope (JSON) from the outbox or the collector.")],
    key: Annotated[Path, typer.Option("--key", help="The agent's public key (PEM, e.g. keys/agent.pub).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the verified report bytes to this file.")
    ] = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Verify a signed envelope offline. Exit 0 when the signature verifies, 1 when it does not."""
    from agent.delivery.signing import EnvelopeError, key_id, load_public_key, verify_envelope

    public_key = load_public_key(key)
    try:
        data = envelope.read_bytes()
    except OSError as exc:
        raise UsageError(f"{envelope}: cannot read: {exc.strerror or exc}") from None
    try:
        payload = verify_envelope(data, public_key)
    except EnvelopeError as exc:
        if fmt is Format.json:
            emit(json.dumps({"verified": False, "keyid": key_id(public_key), "reason": str(exc)}))
        else:
            err.print(f"[red]NOT verified:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    report_id = None
    try:
        report_id = json.loads(payload).get("report_id")
    except (ValueError, AttributeError):
        pass
    if output is not None:
        from agent.files import write_atomic

        write_atomic(output, payload, mode=0o644)
    if fmt is Format.json:
        emit(
            json.dumps(
                {"verified": True, "keyid": key_id(public_key), "report_id": report_id, "payload_bytes": len(payload)}
            )
        )
    else:
        emit(f"verified: signed by {key_id(public_key)}; report {report_id} ({len(payload)} bytes)")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(keys_app, name="keys")
    app.add_typer(outbox_app, name="outbox")
    app.command("enroll")(enroll_command)
    app.command("upload")(upload_command)
    app.command("verify")(verify_command)
