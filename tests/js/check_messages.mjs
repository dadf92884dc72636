// Reads translation strings the way the Home Assistant frontend does, for
// tests/test_strings_format.py (installed by scripts/setup: npm ci here).
//
//   node tests/js/check_messages.mjs messages.json
//
// messages.json is {"<key>": "<string>", ...}. The frontend's localize() builds
// `new IntlMessageFormat(string, language, formats)` (src/common/translations/
// localize.ts) and shows "Translation error: <code>" when that throws, then calls
// format(placeholders) and shows "Translation <error>" when that throws. This does
// both, with intl-messageformat's default options as the frontend has them (tags
// parsed, no formatters for them), and prints one JSON object:
//
//   {"<key>": {"args": {"<name>": "<kind>"}, "errors": ["..."]}, ...}
//
// errors: the parse error (INVALID_TAG, UNCLOSED_TAG, MALFORMED_ARGUMENT, ...), a
// format error (a <tag> the frontend has no formatter for), or a string made only of
// text and {placeholders} that does not render as written (an apostrophe quoting
// "{", "<" or another apostrophe: ICU eats it).
import { readFileSync } from "node:fs";
import IntlMessageFormat from "intl-messageformat";

// @formatjs/icu-messageformat-parser's TYPE enum
const TYPE = {
  literal: 0, argument: 1, number: 2, date: 3, time: 4, select: 5, plural: 6,
  pound: 7, tag: 8,
};
const KIND = Object.fromEntries(Object.entries(TYPE).map(([k, v]) => [v, k]));

function walk(elements, args, tags) {
  for (const el of elements) {
    if (el.type === TYPE.tag) {
      tags.push(el.value);
      walk(el.children, args, tags);
    } else if (el.type === TYPE.select || el.type === TYPE.plural) {
      args[el.value] = KIND[el.type];
      for (const option of Object.values(el.options)) walk(option.value, args, tags);
    } else if (el.type !== TYPE.literal && el.type !== TYPE.pound) {
      args[el.value] = KIND[el.type];
    }
  }
}

function sampleValue(name, kind) {
  if (kind === "number" || kind === "plural") return 1;
  if (kind === "date" || kind === "time") return new Date(0);
  if (kind === "select") return "other";
  return `⟦${name}⟧`;
}

function check(text) {
  const result = { args: {}, errors: [] };
  let message;
  try {
    message = new IntlMessageFormat(text, "en");
  } catch (err) {
    // What the frontend shows: "Translation error: " + err.message
    result.errors.push(`Translation error: ${err.message}`);
    return result;
  }
  const tags = [];
  walk(message.getAst(), result.args, tags);
  for (const tag of tags) result.errors.push(`<${tag}> is parsed as a tag`);
  const values = Object.fromEntries(
    Object.entries(result.args).map(([name, kind]) => [name, sampleValue(name, kind)]),
  );
  let rendered;
  try {
    rendered = message.format(values);
  } catch (err) {
    result.errors.push(`Translation ${err}`);
    return result;
  }
  if (Object.values(result.args).every((kind) => kind === "argument")) {
    const expected = text.replace(/\{\s*([^{}\s]+)\s*\}/g, (_, name) => `⟦${name}⟧`);
    if (typeof rendered !== "string" || rendered !== expected) {
      result.errors.push(`renders as ${JSON.stringify(rendered)}, not as written`);
    }
  }
  return result;
}

const messages = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = {};
for (const [key, text] of Object.entries(messages)) out[key] = check(text);
process.stdout.write(JSON.stringify(out));
