// validate.js: checks OpenAPI documents. First @apidevtools/swagger-parser (the OpenAPI 3.0 JSON
// schema, resolvable $refs), then rules of the specification a JSON schema cannot express: every
// {name} in a path has a required path parameter of that name in each operation and no operation
// has a path parameter its path lacks; operationIds are unique; no two paths differ only in their
// parameter names. Usage: node validate.js FILE...  Exit status 0 when all are valid.
'use strict';
const fs = require('fs');
const SwaggerParser = require('@apidevtools/swagger-parser');

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function specProblems(doc) {
  const problems = [];
  const ids = new Set();
  const shapes = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const shape = path.replace(/\{[^}]+\}/g, '{}');
    if (shapes.has(shape)) problems.push(`${path} and ${shapes.get(shape)} differ only in parameter names`);
    shapes.set(shape, path);
    // Operations under x- extensions (custom HTTP methods) follow the same rules.
    const ops = Object.entries(item).filter(([k]) => METHODS.includes(k) || k.startsWith('x-custom-method-'));
    for (const [method, op] of ops) {
      const params = (op.parameters || []).concat(item.parameters || []);
      const inPath = params.filter((p) => p.in === 'path');
      for (const name of names) {
        const p = inPath.find((q) => q.name === name);
        if (!p) problems.push(`${method} ${path}: no path parameter '${name}'`);
        else if (p.required !== true) problems.push(`${method} ${path}: path parameter '${name}' is not required`);
      }
      for (const p of inPath)
        if (!names.includes(p.name)) problems.push(`${method} ${path}: path parameter '${p.name}' is not in the path`);
      if (op.operationId) {
        if (ids.has(op.operationId)) problems.push(`operationId ${op.operationId} is used twice`);
        ids.add(op.operationId);
      }
    }
  }
  return problems;
}

async function main(files) {
  if (files.length === 0) {
    console.error('usage: node validate.js FILE...');
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    try {
      const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
      const problems = specProblems(raw);
      if (problems.length) throw new Error(problems.join('; '));
      // validate() dereferences the document it is given: hand it a path so it reads its own copy.
      const api = await SwaggerParser.validate(file);
      const ops = Object.values(api.paths).reduce((n, item) =>
        n + Object.keys(item).filter((k) => METHODS.includes(k)).length, 0);
      console.log(`ok - ${file}: OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths, ${ops} operations`);
    } catch (err) {
      failed++;
      console.log(`not ok - ${file}: ${err.message}`);
    }
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
