"""resolve_data_section: defaults for every source, and a message naming data.<key> for every mistake."""
import pytest

from rnn_viz.data import DATA_SOURCES, SCHEMAS, DataError, resolve_data_section


def test_sources_are_the_documented_eight():
    assert DATA_SOURCES == ("sine", "adding", "copy", "temporal_order", "impulse", "flip_flop", "text", "file")


def test_empty_table_is_the_sine_first_experiment():
    d = resolve_data_section({})
    assert d == {"source": "sine", "seq_len": 50, "batch_size": 32, "components": 2, "min_period": 8.0,
                 "max_period": 40.0, "noise": 0.05, "amplitude": 1.0, "val_size": 256}


@pytest.mark.parametrize("source", ["sine", "adding", "copy", "temporal_order", "impulse", "flip_flop", "text"])
def test_every_key_of_a_source_is_filled_and_resolving_again_changes_nothing(source):
    d = resolve_data_section({"source": source})
    assert set(d) == {k.name for k in SCHEMAS[source]}
    assert resolve_data_section(d) == d


def test_file_needs_a_path_and_fills_its_keys():
    with pytest.raises(DataError, match=r'data\.path: required for data\.source = "file"'):
        resolve_data_section({"source": "file"})
    d = resolve_data_section({"source": "file", "path": "my.csv"})
    assert d["missing"] == "interpolate" and d["header"] == "auto" and d["inputs"] == [] and d["horizon"] == 1
    assert resolve_data_section(d) == d


def test_input_is_not_modified():
    section = {"source": "copy", "delay": 50}
    resolve_data_section(section)
    assert section == {"source": "copy", "delay": 50}


def test_unknown_source_lists_the_allowed_ones():
    with pytest.raises(DataError) as err:
        resolve_data_section({"source": "sinus"})
    msg = str(err.value)
    assert msg.startswith("data.source:") and '"sinus"' in msg
    for s in DATA_SOURCES:
        assert f'"{s}"' in msg


def test_unknown_key_names_it_and_the_keys_of_the_source():
    with pytest.raises(DataError) as err:
        resolve_data_section({"source": "adding", "delay": 3})
    assert str(err.value).startswith('data.delay: not a key of data.source = "adding"')
    assert "seq_len" in str(err.value) and "val_size" in str(err.value)


@pytest.mark.parametrize("section, key, words", [
    ({"seq_len": 0}, "seq_len", "from 1 to"),
    ({"seq_len": "50"}, "seq_len", "whole number"),
    ({"seq_len": 2.5}, "seq_len", "whole number"),
    ({"batch_size": True}, "batch_size", "whole number"),
    ({"noise": -1}, "noise", "from 0.0 to 10.0"),
    ({"noise": float("nan")}, "noise", "a number"),
    ({"components": 0}, "components", "from 1 to 16"),
    ({"source": "adding", "seq_len": 1}, "seq_len", "at least 2"),
    ({"source": "temporal_order", "seq_len": 5}, "seq_len", "at least 10"),
    ({"source": "copy", "alphabet": 27}, "alphabet", "from 2 to 26"),
    ({"source": "file", "path": "a.csv", "missing": "zero"}, "missing", '"interpolate", "ffill", "drop"'),
    ({"source": "file", "path": "a.csv", "header": "yes"}, "header", '"auto", true or false'),
    ({"source": "file", "path": "a.csv", "normalize": 1}, "normalize", "true or false"),
    ({"source": "file", "path": "a.csv", "inputs": [1.5]}, "inputs", "column name or an index"),
    ({"source": "file", "path": "a.csv", "inputs": ["a", "a"]}, "inputs", "listed twice"),
    ({"source": "file", "path": "a.csv", "val_fraction": 1.0}, "val_fraction", "from 0.0 to 0.9"),
    ({"source": "file", "path": 3}, "path", "file path"),
    ({"source": "file", "path": "a.csv", "delimiter": ":"}, "delimiter", '","'),
])
def test_bad_value_names_the_key_and_what_is_allowed(section, key, words):
    with pytest.raises(DataError) as err:
        resolve_data_section(section)
    # one message style for every setting: "data.<key> = <value> is not allowed; allowed: ..." (or,
    # for a rule involving another key, "data.<key>: ...")
    assert str(err.value).startswith((f"data.{key} = ", f"data.{key}:"))
    assert words in str(err.value)


def test_min_period_above_max_period():
    with pytest.raises(DataError, match=r"data\.min_period: .* longer than data\.max_period"):
        resolve_data_section({"min_period": 50, "max_period": 10})


def test_a_table_that_is_not_a_table():
    with pytest.raises(DataError, match=r"\[data\] must be a table"):
        resolve_data_section(["sine"])


def test_a_float_that_is_whole_is_taken_as_an_int_and_an_int_as_a_float():
    d = resolve_data_section({"seq_len": 20.0, "noise": 0})
    assert d["seq_len"] == 20 and isinstance(d["seq_len"], int)
    assert d["noise"] == 0.0 and isinstance(d["noise"], float)


def test_a_single_column_may_be_given_without_a_list():
    assert resolve_data_section({"source": "file", "path": "a.csv", "inputs": "temp"})["inputs"] == ["temp"]


# ------------------------------------------------------------ copy: T = length + delay + length
def test_copy_derives_seq_len_from_length_and_delay():
    d = resolve_data_section({"source": "copy", "length": 10, "delay": 50})
    assert d["seq_len"] == 70


def test_copy_seq_len_alone_sets_the_delay():
    d = resolve_data_section({"source": "copy", "length": 5, "seq_len": 40})
    assert d["delay"] == 30 and d["seq_len"] == 40


def test_copy_seq_len_that_contradicts_length_and_delay_is_refused():
    with pytest.raises(DataError) as err:
        resolve_data_section({"source": "copy", "length": 5, "delay": 10, "seq_len": 30})
    msg = str(err.value)
    assert msg.startswith("data.seq_len:") and "5 + 10 + 5 = 20" in msg and "set it to 20" in msg


def test_copy_seq_len_too_short_for_the_string():
    with pytest.raises(DataError, match=r"data\.seq_len: .*at least 2 \* 5 = 10"):
        resolve_data_section({"source": "copy", "length": 5, "seq_len": 8})


def test_derived_keys_name_exactly_the_inputs_validation_reads():
    """The settings panel drops a derived key when one of its inputs changes; validation must then
    recompute it from those inputs, and from nothing else a panel edit could leave stale."""
    from rnn_viz.data.config import DERIVED_KEYS, SCHEMAS, derived_keys
    assert derived_keys("copy") == {"seq_len": ("length", "delay")} and derived_keys("sine") == {}
    for source, rules in DERIVED_KEYS.items():
        base = resolve_data_section({"source": source})
        for derived, inputs in rules.items():
            for key in inputs:
                edited = resolve_data_section({"source": source, key: base[key] + 1})
                assert edited[derived] != base[derived], (source, derived, key)
            others = [k.name for k in SCHEMAS[source] if k.kind == "int" and k.name not in (*inputs, derived)]
            for key in others:
                edited = resolve_data_section({"source": source, key: base[key] + 1})
                assert edited[derived] == base[derived], (source, derived, key)
