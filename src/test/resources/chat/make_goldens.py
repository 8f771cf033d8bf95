#!/usr/bin/python3
"""Renders the chat templates of the test tokenizers with Jinja2 exactly as Hugging Face transformers'
apply_chat_template does, and writes the renderings as goldens for ChatTemplateGoldenTest.

Run with Debian's python3-jinja2:  /usr/bin/python3 src/test/resources/chat/make_goldens.py
(from the repository root). transformers is not needed: its _compile_jinja_template is mirrored here:
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols]),
a json.dumps based tojson filter (ensure_ascii=False), raise_exception and strftime_now globals, and
render(messages=..., tools=None, documents=None, add_generation_prompt=..., **special_tokens_map, **kwargs).
strftime_now uses a FIXED date so the goldens are reproducible; the Java test injects the same date.
"""
import json
import os
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZERS = os.path.join(HERE, "..", "tokenizers")
QWEN3 = os.path.join(HERE, "..", "..", "..", "..", "recipes", "assets", "tokenizers", "qwen3")  # shipped for the demo
OUT = os.path.join(HERE, "goldens")
FIXED_DATE = datetime(2026, 1, 15, 10, 30, 0)  # keep in sync with ChatTemplateGoldenTest


class AssistantTracker(Extension):
    """transformers' {% generation %} extension, rendering-wise: outputs its body unchanged."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def compile_template(source):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_DATE.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


def token_content(value):
    if isinstance(value, dict):
        return value.get("content")
    return value


def special_tokens(config):
    out = {}
    for key in ("bos_token", "eos_token", "unk_token", "pad_token"):
        v = token_content(config.get(key))
        if v is not None:
            out[key] = v
    return out


def chat_template(config):
    t = config["chat_template"]
    if isinstance(t, list):
        t = next(x["template"] for x in t if x["name"] == "default")
    return t


def m(role, content):
    return {"role": role, "content": content}


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city — “quoted”",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

COMMON = [
    dict(name="single_user", messages=[m("user", "Hello!")], add_generation_prompt=True),
    dict(name="single_user_no_prompt", messages=[m("user", "Hello!")], add_generation_prompt=False),
    dict(name="system_user", messages=[m("system", "You are a helpful assistant."), m("user", "What is 2+2?")],
         add_generation_prompt=True),
    dict(name="multi_turn_gen_prompt", messages=[
        m("user", "Hi, who are you?"),
        m("assistant", "I am an assistant. How can I help?"),
        m("user", "Tell me a joke."),
    ], add_generation_prompt=True),
    dict(name="multi_turn_ends_assistant", messages=[
        m("system", "Be brief."),
        m("user", "Capital of France?"),
        m("assistant", "Paris."),
        m("user", "And of Italy?"),
        m("assistant", "Rome."),
    ], add_generation_prompt=False),
    dict(name="unicode_chinese", messages=[
        m("user", "你好，请介绍一下北京。 Ünïcödé ✓ 😀"),
        m("assistant", "北京是中国的首都。\n它有很多名胜古迹 — «ça va»."),
        m("user", "谢谢！"),
    ], add_generation_prompt=True),
    dict(name="whitespace_and_quotes", messages=[
        m("user", "  padded with spaces and \"quotes\" and 'apostrophes'\n\n"),
        m("assistant", "\n{% not a tag %} {{ nor this }}\n"),
    ], add_generation_prompt=False),
    dict(name="think_reasoning", messages=[
        m("user", "What is 3*7?"),
        m("assistant", "<think>\n3 times 7 is 21.\n</think>\n\n21"),
        m("user", "And 4*5?"),
        m("assistant", "<think>\nFour fives are twenty.\n</think>\n\n20"),
    ], add_generation_prompt=False),
]

EXTRA = {
    "qwen3": [
        dict(name="qwen3_no_thinking", messages=[m("user", "Quick answer: 1+1?")], add_generation_prompt=True,
             extra={"enable_thinking": False}),
        dict(name="qwen3_think_then_gen", messages=[
            m("system", "Think first."),
            m("user", "What is 3*7?"),
            m("assistant", "<think>\n3 times 7 is 21.\n</think>\n\n21"),
            m("user", "Double it."),
        ], add_generation_prompt=True),
        dict(name="qwen3_tools", messages=[m("system", "Use tools."), m("user", "Weather in Paris?")],
             add_generation_prompt=True, tools=[WEATHER_TOOL]),
        dict(name="qwen3_tool_calls", messages=[
            m("user", "Weather in Paris?"),
            {"role": "assistant", "content": "", "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
            m("tool", "{\"temp_c\": 21}"),
            m("assistant", "It is 21°C in Paris."),
        ], add_generation_prompt=False, tools=[WEATHER_TOOL]),
    ],
    "deepseek_v3": [
        dict(name="deepseek_tool_calls", messages=[
            m("system", "Use tools."),
            m("user", "Weather in Paris?"),
            {"role": "assistant", "content": None, "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            m("tool", "{\"temp_c\": 21}"),
            m("assistant", "It is 21°C in Paris."),
        ], add_generation_prompt=False),
    ],
}


def main():
    for name in ("qwen3", "llama3_1", "deepseek_v3"):
        folder = QWEN3 if name == "qwen3" else os.path.join(TOKENIZERS, name)
        with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        template = compile_template(chat_template(config))
        tokens = special_tokens(config)
        cases = []
        for case in COMMON + EXTRA.get(name, []):
            kwargs = dict(tokens)
            kwargs.update(case.get("extra", {}))
            expected = template.render(messages=case["messages"], tools=case.get("tools"), documents=None,
                                       add_generation_prompt=case["add_generation_prompt"], **kwargs)
            out = dict(case)
            out["expected"] = expected
            cases.append(out)
        doc = {"tokenizer": name, "fixed_date": FIXED_DATE.isoformat(), "jinja2_version": jinja2.__version__,
               "special_tokens": tokens, "cases": cases}
        with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=2)
            f.write("\n")
        print(name, len(cases), "cases")
    features()


# Small templates exercising each Jinja2/transformers feature the Java shims emulate.
FEATURES = {
    "reverse_slice": "{% for m in messages[::-1] %}{{ m.role }},{% endfor %}",
    "str_strip": "[{{ '\\na\\n'.strip('\\n') }}|{{ '  x \\t'.strip() }}|{{ 'xxhixx'.lstrip('x') }}|{{ 'xxhixx'.rstrip('x') }}]",
    "str_split": "{{ 'a,b,,c'.split(',') | length }}|{{ ' a b  c '.split() | join('-') }}|{{ 'a</think>b</think>c'.split('</think>')[-1] }}|{{ 'a.b.c'.split('.', 1)[1] }}",
    "str_case": "{{ 'Hello'.upper() }}{{ 'Hello'.lower() }}|{{ 'hello wORLD'.title() }}|{{ 'aXbXc'.replace('X', '-') }}",
    "str_tests": "{% if 'abc'.startswith('ab') %}s{% endif %}{% if 'abc'.endswith(('x', 'c')) %}e{% endif %}{% if not 'abc'.startswith('b') %}n{% endif %}{% if 'b' in 'abc' %}i{% endif %}",
    "not_eq_precedence": "{% if not 1 == 2 %}a{% endif %}{% if not messages[0].role == 'user' %}b{% endif %}{% if not x is defined %}c{% endif %}{% if messages[0].content is not none %}d{% endif %}",
    "namespace": "{% set ns = namespace(n=messages|length - 1, s='') %}{{ ns.n }}{% for m in messages %}{% set ns.s = ns.s + m.role[:2] %}{% endfor %}{{ ns.s }}",
    "string_index": "{{ messages[0].role[0] }}{{ 'abc'[-1] }}",
    "tojson_default": "{{ data | tojson }}",
    "tojson_indent": "{{ data | tojson(indent=2) }}",
    "generation_tag": "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}<{{ m.content }}>{% endif %}{% endfor %}",
    "strftime": "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M') }}|{{ strftime_now('%A %B %-d') }}",
    "loop_controls": "{% for m in messages %}{% if loop.index0 == 2 %}{% break %}{% endif %}{% if loop.first %}{% continue %}{% endif %}{{ m.role }}{% endfor %}",
    "indexing": "{{ messages[-1].content }}|{{ 'abcdef'[1:3] }}|{{ messages[1:] | length }}|{{ messages[0]['role'] }}",
    "conditional_expr": "{{ 'x' if messages|length > 2 else 'y' }}{{ 'p' ~ 1 }}",
    "macro": "{% macro f(a) %}[{{ a }}]{% endmacro %}{{ f('q') }}",
    "dict_items": "{% for k, v in data.items() %}{{ k }}={{ v | tojson }};{% endfor %}{{ data.get('zz', 'dflt') }}",
    "trim_filter": "{% for m in messages %}({{ m.content | trim }}){% endfor %}",
    "whitespace_control": "{%- for m in messages -%}\n  {{- m.role -}}\n  {% if true %}\n    x\n  {% endif %}\n{%- endfor %}\n{# note #}\nend",
    "is_string": "{% if data.name is string %}s{% endif %}{% if data.nums is string %}n{% endif %}{% if data.nums is iterable %}i{% endif %}{% if data is mapping %}m{% endif %}",
    "none_tools": "{% if tools is none %}n{% endif %}{% if tools is defined %}D{% endif %}{% if not tools %}f{% endif %}{% if documents is not none %}X{% endif %}",
    "function_defined": "{% if strftime_now is defined %}s{% endif %}{% if raise_exception is defined %}r{% endif %}",
    "llama3_date_header": "{%- if not date_string is defined %}\n    {%- if strftime_now is defined %}\n        {%- set date_string = strftime_now(\"%d %b %Y\") %}\n    {%- else %}\n        {%- set date_string = \"26 Jul 2024\" %}\n    {%- endif %}\n{%- endif %}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}",
    "tojson_variants": "{{ floats | tojson }}|{{ data | tojson(sort_keys=true) }}|{{ data.nested | tojson(separators=(',', ':')) }}|{{ '\\u0001\\t\\\\' | tojson }}",
    "bool_output": "{{ messages|length > 1 }}|{{ data.flag }}|{{ data.none_value }}",
}

FEATURE_DATA = {"name": "tool \"q\" — ü\n", "nums": [1, 2.5, -3], "flag": True, "none_value": None,
                "nested": {"k": [], "e": {}}}
FEATURE_FLOATS = [1e20, 1e-05, 0.1, 3.0, -0.0, 123456789.125, 2.5e-7, 1e16, 9999999999999998.0]
FEATURE_MESSAGES = [m("user", "  Hi  "), m("assistant", "Hello\n"), m("user", "Bye")]


def features():
    cases = []
    for name, source in FEATURES.items():
        expected = compile_template(source).render(messages=FEATURE_MESSAGES, data=FEATURE_DATA, floats=FEATURE_FLOATS,
                                                   tools=None,
                                                   documents=None, add_generation_prompt=False)
        cases.append({"name": name, "template": source, "expected": expected})
    doc = {"fixed_date": FIXED_DATE.isoformat(), "jinja2_version": jinja2.__version__, "messages": FEATURE_MESSAGES,
           "data": FEATURE_DATA, "floats": FEATURE_FLOATS, "cases": cases}
    with open(os.path.join(OUT, "features.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print("features", len(cases), "cases")


if __name__ == "__main__":
    main()
