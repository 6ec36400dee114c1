// Validates JSON documents against a JSON Schema with Ajv (draft-07, the
// OSCAL schema's draft) and ajv-formats, independently of Ward's Go
// validator. Usage: node validate.mjs SCHEMA FILE... Prints one JSON line
// per file: {"file", "valid", "errors"}. Exit 0 when it could judge all.
import fs from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const [schemaFile, ...files] = process.argv.slice(2);
// strict off: the OSCAL schema uses keywords Ajv's strict mode flags
// (e.g. "$comment" placement, unknown formats are still checked below).
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: true, validateFormats: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
for (const file of files) {
  const valid = validate(JSON.parse(fs.readFileSync(file, 'utf8')));
  const errors = (validate.errors || []).slice(0, 5).map((e) => `${e.instancePath} ${e.message}`);
  console.log(JSON.stringify({ file, valid, errors }));
}
