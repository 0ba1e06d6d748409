"""report.json of `analyze` on a word table: every word's 5 nearest neighbours and the analogy
summary, checked against scikit-learn and plain numpy; the samples preview."""

from __future__ import annotations

import json

import pytest

from reprviz_gui.core.io.report import REPORT_KEYS, AnalyzeOptions, analyze, summary_lines
from test_words_analogies import numpy_reference
from test_words_neighbours import read_capitals_csv, reference_neighbours


@pytest.fixture(scope="module")
def capitals_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("capitals")
    result = analyze(AnalyzeOptions(data="capitals", model="none", out=out, figures=False))
    on_disk = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert on_disk == result
    return result


def test_nearest_neighbours_of_every_word(capitals_report, resources):
    words, _, _, vectors = read_capitals_csv(resources)
    table = capitals_report["nearest_neighbours"]
    assert [e["word"] for e in table] == words  # every word, in table order
    for i, entry in enumerate(table):
        want = reference_neighbours(vectors, words, i, 5)
        assert [n["word"] for n in entry["neighbours"]] == [w for w, _ in want]
        assert [n["cosine"] for n in entry["neighbours"]] == \
            pytest.approx([c for _, c in want], abs=1e-5)
    paris = next(e for e in table if e["word"] == "paris")
    assert paris["neighbours"][0]["word"] == "france"


def test_analogies_summary_against_numpy(capitals_report, resources):
    words, kinds, countries, vectors = read_capitals_csv(resources)
    _, _, mean_cos, correct, verdict = numpy_reference(words, kinds, countries, vectors)
    an = capitals_report["analogies"]
    assert an["pairs"] == len(correct) == 24 * 23
    assert an["correct"] == sum(correct.values())
    assert an["mean_offset_cosine"] == pytest.approx(mean_cos, abs=1e-5)
    assert an["groups"] == 24 and an["groups_correct"] == sum(verdict)
    assert (an["source_kind"], an["target_kind"]) == ("capital", "country")
    line = next(l for l in summary_lines(capitals_report) if l.startswith("analogies"))
    assert f"{an['correct']} of 552 pairs" in line and f"{sum(verdict)} of 24 capitals" in line


def test_word_table_section_unchanged_and_preview(capitals_report):
    for key in REPORT_KEYS:
        assert key in capitals_report, key
    wt = capitals_report["word_table"]
    assert wt["own_matches"] == 24 and wt["queries"] == 24
    assert {r["word"]: r["nearest"] for r in wt["nearest"]}["paris"] == "france"
    preview = capitals_report["samples_preview"]
    assert len(preview) == 10
    # rows are grouped by class: the first ten selected rows are countries in table order
    assert [p["word"] for p in preview[:3]] == ["france", "germany", "italy"]
    assert [p["index"] for p in preview[:3]] == [0, 2, 4]
    assert all(p["label"] == "country" and p["label_id"] == 0 for p in preview)
    assert all(p["prediction"] is None and "text" not in p for p in preview)
    assert capitals_report["run_history"] is None


def test_fewer_samples_list_the_selected_words(tmp_path):
    result = analyze(AnalyzeOptions(data="capitals", model="none", out=tmp_path, samples=6,
                                    figures=False))
    table = result["nearest_neighbours"]
    assert len(table) == 6 and [e["row"] for e in table] == sorted(e["row"] for e in table)
    assert any("6 selected words (of 48)" in n for n in result["notes"])
    assert result["analogies"]["pairs"] == 552  # the analogies use the whole table


def test_capitals_map_png_draws_the_analogy_arrows():
    """The window's word map shows capital → country arrows; map.png lacked them."""
    import numpy as np

    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.io.figures import map_figure
    from reprviz_gui.core.io.report_sections import word_arrows

    ds = load_dataset("capitals")
    rows = np.arange(len(ds.x_test))[::-1]  # any order of the selected rows
    arrows = word_arrows(ds, rows)
    assert len(arrows) == 24
    kinds = ds.columns.get("kind") or []
    for a, b in arrows:
        src, tgt = ds.words[rows[a]], ds.words[rows[b]]
        assert src != tgt
        if kinds:
            assert (kinds[rows[a]], kinds[rows[b]]) == ("capital", "country")
    paris = ds.words.index("paris")
    assert any(ds.words[rows[b]] == "france" for a, b in arrows if rows[a] == paris)
    coords = np.random.default_rng(0).normal(size=(len(rows), 2))
    fig = map_figure(coords, ds.y_test[rows], ds.class_names, words=[ds.words[r] for r in rows],
                     arrows=arrows)
    drawn = [t for t in fig.axes[0].texts if getattr(t, "arrow_patch", None) is not None]
    assert len(drawn) == 24
    np.testing.assert_allclose(drawn[0].xy, coords[arrows[0][1]])
