"""The example booking bot, end to end with real Rasa: `rasa data validate`, a full `rasa train`
(NLU and core), a booking in `rasa shell` (a pseudo-terminal), the REST channel, and two
`rasa run` servers sharing conversations through a real Redis (the REST test talks to the
first of them, which the module starts once)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pexpect
import pytest
import yaml

from rasa_electra.evaluation.serving import Server, free_port, rasa_server

pytestmark = pytest.mark.slow
RASA = str(Path(sys.executable).with_name("rasa"))
ASK = {
    "place": "どちらの地域のお店をご希望ですか？",
    "date": "ご来店はいつのご予定ですか？",
    "people": "何名様でいらっしゃいますか？",
    "name": "ご予約のお名前をお願いいたします。",
}


@pytest.fixture(scope="module")
def bot_archive(bot_dir, bot_config, bot_export, tmp_path_factory) -> Path:
    """`rasa train` of the bot as it is (trainable mode: the export fine-tuned further on the
    bot's data, roles included, joined with the CRF), from the tiny export instead of the
    shipped encoder."""
    work = tmp_path_factory.mktemp("bot")
    # the tiny export's layers all learn: its lower half is no pretrained start worth keeping
    config = bot_config(pretrained=str(bot_export), epochs=20, min_train_steps=0,
                        learning_rate=0.003, max_seq_length=32, average_seeds=1,
                        freeze_layers=0)  # fmt: skip
    (work / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    result = subprocess.run(
        [RASA, "train", "--config", str(work / "config.yml"), "--domain",
         str(bot_dir / "domain.yml"), "--data", str(bot_dir / "data"), "--out",
         str(work / "models"), "--fixed-model-name", "bot"],
        cwd=work, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return work / "models" / "bot.tar.gz"


def test_rasa_data_validate_finds_nothing_but_the_forms_questions(bot_dir):
    result = subprocess.run(
        [RASA, "data", "validate", "--domain", "domain.yml", "--data", "data",
         "--config", "config.yml"],
        cwd=bot_dir, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    warnings = [line for line in result.stderr.splitlines() if "UserWarning" in line]
    # Rasa's validator does not know that a form asks with utter_ask_<slot>
    assert all("utter_ask_" in line for line in warnings), warnings


def confirmation(place: str, date: str, people: int, name: str) -> str:
    return f"{name}様、{date}に{place}のお店で{people}名様のご予約を承りました。"


def in_days(days: int) -> str:
    """The date JapaneseValueNormalizer gives 明日 (1) or 明後日 (2): ISO 8601, Tokyo's today."""
    return (datetime.now(ZoneInfo("Asia/Tokyo")).date() + timedelta(days=days)).isoformat()


@pytest.fixture(scope="module")
def redis(tmp_path_factory) -> Iterator[int]:
    """A real redis-server on 127.0.0.1 (Debian's, `make system-deps`), stopped by PID."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run `make system-deps`")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):  # bounded: 10 s
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise TimeoutError("redis-server did not answer PING")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def server_args(bot_dir: Path, redis: int) -> tuple[list[str], dict[str, str]]:
    """`rasa run`'s arguments for the bot as deployed: the REST channel, conversations in Redis."""
    args = ["--credentials", str(bot_dir / "credentials.yml"),
            "--endpoints", str(bot_dir / "endpoints-redis.yml")]  # fmt: skip
    return args, {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis)}


@pytest.fixture(scope="module")
def served(bot_dir, bot_archive, redis, tmp_path_factory) -> Iterator[Server]:
    """One `rasa run` of the bot for the module's tests (each its own sender IDs)."""
    args, env = server_args(bot_dir, redis)
    with rasa_server(bot_archive, 600, args, env, tmp_path_factory.mktemp("served")) as server:
        yield server


def test_rest_channel_fills_several_slots_from_one_message(served):
    assert served.say("guest", "こんにちは") == [
        "こんにちは！レストランのご予約を承ります。ご希望をお聞かせください。"
    ]
    assert served.say("guest", "横浜で明後日に6人で予約したいです") == [ASK["name"]]
    slots = served.tracker("guest")["slots"]
    # normalised: 明後日 as the date it names, 6人 as a number (JapaneseValueNormalizer)
    assert {k: slots[k] for k in ASK} == {
        "place": "横浜", "date": in_days(2), "people": 6, "name": None,
    }  # fmt: skip
    entities = served.tracker("guest")["latest_message"]["entities"]
    assert {e["extractor"] for e in entities} == {"ElectraEntityExtractor"}
    date = next(e for e in entities if e["entity"] == "date")
    assert date["additional_info"]["grain"] == "day"
    assert date["additional_info"]["value"].startswith(in_days(2) + "T00:00:00.000+09:00")
    assert served.say("guest", "田中です") == [confirmation("横浜", in_days(2), 6, "田中")]

    # a synonym rewrites our entity's value (あした → 明日), which is then normalised
    assert served.say("synonym", "あしたの夜に予約できますか") == [ASK["place"]]
    assert served.tracker("synonym")["slots"]["date"] == in_days(1)
    # a lookup-table place: Rasa's RegexEntityExtractor has it, ours is dropped
    assert served.say("lookup", "渋谷で予約したいです") == [ASK["date"]]
    places = [
        (e["value"], e["extractor"])
        for e in served.tracker("lookup")["latest_message"]["entities"]
        if e["entity"] == "place"
    ]
    assert places == [("渋谷", "RegexEntityExtractor")]

    # one message, one entity type, two roles: both slots of a moved booking (one of the
    # bot's own examples: the channel's plumbing is tested here, not the tiny model's reach)
    assert served.say("move", "名古屋から大阪のお店に変えたいです") == [
        "名古屋のご予約を大阪のお店に移しました。"
    ]
    moved = served.tracker("move")
    assert [(e["value"], e["entity"], e.get("role")) for e in
            moved["latest_message"]["entities"]] == [
        ("名古屋", "place", "from"), ("大阪", "place", "to"),
    ]  # fmt: skip
    assert (moved["slots"]["from_place"], moved["slots"]["to_place"]) == ("名古屋", "大阪")


def test_a_whole_booking_in_rasa_shell(bot_archive, tmp_path):
    shell = pexpect.spawn(
        RASA, ["shell", "-m", str(bot_archive)], cwd=str(tmp_path), encoding="utf-8",
        timeout=600, env={**os.environ, "TERM": "dumb", "LANG": "C.UTF-8"},
    )  # fmt: skip
    transcript = []
    try:
        shell.expect("Bot loaded")
        turns = [
            ("予約したいです", ASK["place"]),
            ("新宿でお願いします", ASK["date"]),
            ("明日です", ASK["people"]),
            ("4人です", ASK["name"]),
            ("田中です", confirmation("新宿", in_days(1), 4, "田中")),
        ]
        for message, reply in turns:
            shell.expect("Your input ->")
            shell.sendline(message)
            shell.expect_exact(reply, timeout=120)
            transcript.append((message, reply))
        shell.expect("Your input ->")
        shell.sendline("/stop")
        shell.expect(pexpect.EOF, timeout=120)
    finally:
        shell.close(force=True)
    assert len(transcript) == 5


def test_two_servers_share_a_conversation_through_redis(
    bot_dir, bot_archive, redis, served, tmp_path
):
    args, env = server_args(bot_dir, redis)
    with rasa_server(bot_archive, 600, args, env, tmp_path) as second:
        assert served.say("shared", "予約したいです") == [ASK["place"]]
        assert second.say("shared", "新宿でお願いします") == [ASK["date"]]
        assert served.say("shared", "明日です") == [ASK["people"]]
        second.process.kill()  # mid-conversation, without a goodbye
        second.process.wait(timeout=60)
    assert served.say("shared", "4人です") == [ASK["name"]]
    assert served.say("shared", "田中です") == [confirmation("新宿", in_days(1), 4, "田中")]
    slots = served.tracker("shared")["slots"]
    assert {k: slots[k] for k in ASK} == {
        "place": "新宿", "date": in_days(1), "people": 4, "name": "田中",
    }  # fmt: skip
