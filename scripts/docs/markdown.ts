/** docs/events.md: the readable guide (walk-through, handshake, events, close codes, rules, REST). */
import type { z } from 'zod';
import { httpErrors } from '../../src/errors.js';
import {
  broadcasterClientEvents,
  broadcasterServerEvents,
  listenerClientEvents,
  listenerServerEvents,
} from '../../src/protocol/events.js';
import { OTHER_CLOSES, endpoints, type Direction, type Side } from './content/endpoints.js';
import {
  broadcasterClientDocs,
  broadcasterServerDocs,
  listenerClientDocs,
  listenerServerDocs,
  type EventMap,
} from './content/events.js';
import { ex } from './content/examples.js';
import {
  createSessionRequestExample,
  createSessionResponseExample,
  errorNotes,
  loginRequestExample,
  loginResponseExample,
  restOperations,
} from './content/rest.js';
import {
  GENERATED_NOTE,
  arrow,
  closeCodeTable,
  errorCodeTable,
  markdownTable,
  refusalTable,
  rulesText,
} from './markdown-text.js';
import { descriptionOf, example, SchemaSet, type JsonSchema } from './schema-set.js';

function frame<M extends EventMap, K extends keyof M & string>(map: M, event: K, data: z.input<M[K]>): string {
  const schema = map[event];
  if (!schema) throw new Error(`unknown event ${event}`);
  example(schema, data, event);
  return JSON.stringify({ event, data });
}

function typeText(schema: JsonSchema, schemas: SchemaSet): string {
  const ref = schema['$ref'];
  if (typeof ref === 'string') return `${ref.slice(ref.lastIndexOf('/') + 1)} (object)`;
  if (Array.isArray(schema['anyOf']))
    return (schema['anyOf'] as JsonSchema[]).map((s) => typeText(s, schemas)).join(' or ');
  if ('const' in schema) return `\`${JSON.stringify(schema['const'])}\``;
  if (Array.isArray(schema['enum']))
    return (schema['enum'] as unknown[]).map((v) => `\`${JSON.stringify(v)}\``).join(' or ');
  const type = schema['type'];
  if (Array.isArray(type)) return type.map((one: unknown) => typeText({ ...schema, type: one }, schemas)).join(' or ');
  const min = schema['minLength'] ?? schema['minimum'];
  const max = schema['maxLength'] ?? schema['maximum'];
  const range =
    typeof min === 'number' && typeof max === 'number' && max < Number.MAX_SAFE_INTEGER
      ? `${min}–${max}`
      : typeof min === 'number' && min > 0
        ? `≥ ${min}`
        : typeof min === 'number' && type === 'integer'
          ? `≥ ${min}`
          : typeof max === 'number' && max < Number.MAX_SAFE_INTEGER
            ? `≤ ${max}`
            : '';
  switch (type) {
    case 'string': {
      const format = schema['format'];
      if (format === 'uuid') return 'string (UUID)';
      if (format === 'date-time') return 'string (ISO-8601 date-time, UTC)';
      return range ? `string, ${range} characters` : 'string';
    }
    case 'integer':
    case 'number':
      return range ? `${type} ${range}` : String(type);
    case 'array':
      return `array of ${typeText(schemas.resolve(schema['items'] as JsonSchema), schemas)}`;
    default:
      return String(type ?? 'any');
  }
}

/** Rows `field | type | required | description`, nested objects and arrays of objects flattened with dots. */
function fieldRows(schema: JsonSchema, schemas: SchemaSet, prefix = ''): string[][] {
  const object = schemas.resolve(schema);
  const properties = (object['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object['required'] ?? []) as string[]);
  const rows: string[][] = [];
  for (const [name, property] of Object.entries(properties)) {
    const path = `${prefix}${name}`;
    const resolved = schemas.resolve(property);
    const items = resolved['type'] === 'array' ? schemas.resolve(resolved['items'] as JsonSchema) : undefined;
    const description = descriptionOf(property) ?? descriptionOf(resolved) ?? '';
    rows.push([`\`${path}\``, typeText(property, schemas), required.has(name) ? 'yes' : 'no', description]);
    if (resolved['type'] === 'object' && resolved['properties']) rows.push(...fieldRows(resolved, schemas, `${path}.`));
    if (items?.['type'] === 'object') rows.push(...fieldRows(items, schemas, `${path}[].`));
  }
  return rows;
}

function fieldTable(schema: JsonSchema, schemas: SchemaSet): string {
  const rows = fieldRows(schema, schemas);
  return rows.length === 0 ? '_No fields._' : markdownTable(['field', 'type', 'required', 'description'], rows);
}

const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replaceAll(' ', '-');

function eventHeading(side: Side, direction: Direction, event: string): string {
  return `${event} (${arrow(side, direction)})`;
}

export function buildEventsMarkdown(): string {
  const schemas = new SchemaSet('draft-2020-12', '#/components/schemas/');
  const out: string[] = [];
  const add = (...lines: string[]) => out.push(...lines);
  const json = (value: unknown) => ['```json', ...JSON.stringify(value, null, 2).split('\n'), '```'];
  const wire = (line: string) => ['```json', line, '```'];

  add(
    `<!-- ${GENERATED_NOTE} -->`,
    '',
    '# Live chat: events and REST API',
    '',
    'Everything a client needs to talk to the live chat server: the WebSocket events of both endpoints, the handshake, ' +
      'the close codes, the delivery rules and the REST calls around them. The same content, machine-readable: ' +
      '[`asyncapi.yaml`](asyncapi.yaml) (WebSocket, AsyncAPI 3.0) and [`openapi.yaml`](openapi.yaml) (REST, OpenAPI 3.1). ' +
      'A small runnable client that follows this page: [`examples/raw-client.ts`](../examples/raw-client.ts).',
    '',
    '## Contents',
    '',
    '- [Overview](#overview)',
    '- [Walk-through: a listener client](#walk-through-a-listener-client)',
    '- [Walk-through: a broadcaster client](#walk-through-a-broadcaster-client)',
    '- [Handshake](#handshake)',
    ...endpoints.map(
      (e) => `- [Events: ${e.title.toLowerCase()} \`${e.address}\`](#${anchor(`Events: ${e.title} ${e.address}`)})`,
    ),
    '- [Close codes](#close-codes)',
    '- [Rules](#rules)',
    '- [REST API](#rest-api)',
    '',
    '## Overview',
    '',
    markdownTable(
      ['endpoint', 'for', 'token (query `token`)'],
      endpoints.map((e) => [`\`${e.address}\``, e.who, e.tokenFrom]),
    ),
    '',
    'Every frame, both ways, is one **text** frame holding one JSON object:',
    '',
    ...wire('{"event": "<name>", "data": { … }}'),
    '',
    '`data` is always an object. Directions below: *listener → server* is a frame the client sends, *server → listener* one ' +
      'it receives. Error texts (`message`) are Indonesian and meant for display; the event name is the stable error code. ' +
      'Timestamps are ISO-8601 in UTC. Use `wss://` and `https://` against a deployment behind TLS.',
    '',
  );

  // Walk-through -------------------------------------------------------------
  const L = listenerServerEvents;
  const LC = listenerClientEvents;
  const B = broadcasterServerEvents;
  const BC = broadcasterClientEvents;
  add(
    '## Walk-through: a listener client',
    '',
    '1. **Create a session.** `POST /livechat/session`:',
    '',
    ...json(createSessionRequestExample).map((l) => `   ${l}`),
    '',
    '   Answer `201`:',
    '',
    ...json(createSessionResponseExample).map((l) => `   ${l}`),
    '',
    '   Keep `sessionId`, `sessionToken` and `expiresAt` (for example in `sessionStorage`), so a page reload resumes the same session.',
    '',
    '2. **Connect** to `ws://localhost:3000/livechat/ws?token=<sessionToken>` (URL-encode the token). The first frame is:',
    '',
    ...wire(frame(L, 'connection:success', listenerServerDocs['connection:success'].example)).map((l) => `   ${l}`),
    '',
    '   Send nothing before it arrives. A refused connection gets an HTTP status instead (see [Handshake](#handshake)).',
    '',
    '3. **Send** a message with your own `clientMessageId` (a fresh UUID per message) and keep it in an outbox:',
    '',
    ...wire(frame(LC, 'message:send', listenerClientDocs['message:send'].example)).map((l) => `   ${l}`),
    '',
    '4. **Ack.** When the message is stored, the server answers with the same `clientMessageId`; remove it from the outbox:',
    '',
    ...wire(frame(L, 'message:ack', listenerServerDocs['message:ack'].example)).map((l) => `   ${l}`),
    '',
    '   No ack but `error:rate_limited` / `error:unavailable`: wait (`retryAfterMs`) and resend the same frame. ' +
      '`error:invalid_payload`: drop it and tell the user. (This text is stored and delivered exactly as sent: `<3`, `&` and quotes are not markup.)',
    '',
    '5. **Replies** from the studio arrive as `message:receive`; remember the last `messageId`:',
    '',
    ...wire(frame(L, 'message:receive', listenerServerDocs['message:receive'].example)).map((l) => `   ${l}`),
    '',
    '   While a broadcaster types you may get `' +
      frame(L, 'user:typing', listenerServerDocs['user:typing'].example) +
      '`; while the listener types, send `' +
      frame(LC, 'user:typing', { isTyping: true }) +
      '` (and `false` when they stop).',
    '',
    '6. **Reconnect** when the connection drops (see [Close codes](#close-codes) for how long to wait): connect to ' +
      `\`/livechat/ws?token=<sessionToken>&lastMessageId=${ex.replyMessageId}\`. After \`connection:success\` the server replays, in ` +
      'order, every broadcaster message of the session stored after that id, then continues live. Then resend every message ' +
      'still in the outbox with its original `clientMessageId`. If the first one had in fact been stored, the answer is a ' +
      'duplicate ack carrying the first messageId, and nothing is stored twice:',
    '',
    ...wire(frame(L, 'message:ack', { ...listenerServerDocs['message:ack'].example, duplicate: true })).map(
      (l) => `   ${l}`,
    ),
    '',
    '7. **Expiry.** When the session token expires the server sends `error:invalid_token` and closes with 4401; an upgrade ' +
      'with an expired token is refused with 401. Create a new session (step 1) and connect with its token.',
    '',
    '## Walk-through: a broadcaster client',
    '',
    '1. `POST /livechat/admin/login` with `' +
      JSON.stringify(loginRequestExample) +
      '` answers `200` with `' +
      JSON.stringify(loginResponseExample) +
      '`.',
    '2. Load the sessions with `GET /livechat/admin/sessions` and a history with `GET /livechat/admin/sessions/{sessionId}/messages`, ' +
      'both with `Authorization: Bearer <token>`.',
    `3. Connect to \`/livechat/admin/ws?token=<token>\`; the first frame is \`${frame(B, 'connection:success', broadcasterServerDocs['connection:success'].example)}\`.`,
    `4. Every stored message of every session arrives as \`message:new\`, and \`presence:update\` tells when a session comes online or goes offline.`,
    `5. Reply with \`${frame(BC, 'message:reply', broadcasterClientDocs['message:reply'].example)}\`; the answer is \`${frame(B, 'message:ack', broadcasterServerDocs['message:ack'].example)}\`, and the reply also arrives as \`message:new\`.`,
    '6. After a disconnect, reconnect and reload the history of the open session with `after` = the last messageId you have.',
    '',
  );

  // Handshake ---------------------------------------------------------------
  add(
    '## Handshake',
    '',
    'A client opens the WebSocket with the token in the query string. On success the upgrade completes (HTTP 101) and the ' +
      'first frame the server sends is `connection:success`. A refused upgrade is answered with an HTTP status and a JSON ' +
      'body `{"error","message"}`, and no WebSocket is opened. Browsers do not expose that status: the socket just fails ' +
      '(close code 1006); check the token expiry yourself or retry with backoff. When several refusals apply, any of their ' +
      'statuses may be answered.',
    '',
  );
  for (const endpoint of endpoints) {
    add(
      `### ${endpoint.title}: \`${endpoint.address}\``,
      '',
      'Query parameters:',
      '',
      fieldTable(schemas.convert(endpoint.query, 'input'), schemas),
      '',
      'Refusals:',
      '',
      refusalTable(endpoint),
      '',
    );
    if (endpoint.side === 'listener') {
      add(
        '**Replay.** With `lastMessageId`, right after `connection:success` the server sends, in order, a `message:receive` ' +
          'for every broadcaster message of that session stored after `lastMessageId`, then live frames (none is lost or ' +
          'doubled in between). An invalid `lastMessageId` is answered with `error:invalid_payload` and no replay. Without ' +
          '`lastMessageId` nothing is replayed.',
        '',
      );
    }
  }

  // Events ------------------------------------------------------------------
  for (const endpoint of endpoints) {
    add(`## Events: ${endpoint.title} ${endpoint.address}`, '');
    const rows: string[][] = [];
    for (const direction of ['client', 'server'] as const) {
      for (const event of Object.keys(endpoint.events[direction].map)) {
        const heading = eventHeading(endpoint.side, direction, event);
        rows.push([
          `[\`${event}\`](#${anchor(`${endpoint.side} ${heading}`)})`,
          arrow(endpoint.side, direction),
          endpoint.events[direction].docs[event]!.summary,
        ]);
      }
    }
    add(markdownTable(['event', 'direction', 'summary'], rows), '');
    for (const direction of ['client', 'server'] as const) {
      const { map, docs } = endpoint.events[direction];
      for (const [event, schema] of Object.entries(map)) {
        const doc = docs[event]!;
        const data = schemas.convert(schema, direction === 'client' ? 'input' : 'output');
        add(
          `<a id="${anchor(`${endpoint.side} ${eventHeading(endpoint.side, direction, event)}`)}"></a>`,
          '',
          `### \`${event}\` (${arrow(endpoint.side, direction)})`,
          '',
          `**${doc.summary}** ${doc.description}`,
          '',
          `\`data\`: ${descriptionOf(schemas.resolve(data)) ?? 'object'}.`,
          '',
          fieldTable(data, schemas),
          '',
          'Example frame:',
          '',
          ...wire(frame(map, event, doc.example)),
          '',
        );
      }
    }
  }

  // Close codes, rules ------------------------------------------------------------
  add('## Close codes', '', closeCodeTable(), '', OTHER_CLOSES, '', '## Rules', '', rulesText(), '');

  // REST ---------------------------------------------------------------------------
  add(
    '## REST API',
    '',
    'All bodies are JSON; every error is `{"error": "<code>", "message": "<human text>"}`. Admin routes need ' +
      '`Authorization: Bearer <admin token>`. Full schemas: [`openapi.yaml`](openapi.yaml).',
    '',
  );
  for (const op of restOperations) {
    const rows: string[] = [
      `### \`${op.method.toUpperCase()} ${op.path}\``,
      '',
      `**${op.summary}.** ${op.description}`,
      '',
    ];
    if (op.admin) rows.push('Needs `Authorization: Bearer <admin token>`.', '');
    if (op.security?.some((scheme) => 'sessionBearer' in scheme)) {
      rows.push('Needs `Authorization: Bearer <sessionToken>`.', '');
    }
    if (op.parameters) {
      rows.push(
        markdownTable(
          ['parameter', 'in', 'type', 'required', 'description'],
          op.parameters.map((p) => {
            const schema = schemas.convert(p.schema, 'input');
            const text = [p.description ?? descriptionOf(schema) ?? ''];
            if (schema['default'] !== undefined) text.push(`default ${JSON.stringify(schema['default'])}`);
            return [
              `\`${p.name}\``,
              p.in,
              typeText(schema, schemas),
              p.required ? 'yes' : 'no',
              text.filter(Boolean).join('; '),
            ];
          }),
        ),
        '',
      );
    }
    if (op.request) {
      rows.push(
        'Request body:',
        '',
        fieldTable(schemas.convert(op.request.schema, 'input'), schemas),
        '',
        ...json(op.request.example),
        '',
      );
    }
    const success = op.success;
    rows.push(
      `Answer \`${success.status}\`${success.mediaType ? ` (\`${success.mediaType}\`)` : ''}: ${success.description}`,
      '',
    );
    if (!success.mediaType && success.status !== 204)
      rows.push(fieldTable(schemas.convert(success.schema, 'output'), schemas), '', ...json(success.example), '');
    const failures = [...op.errors]
      .sort((a, b) => httpErrors[a].status - httpErrors[b].status)
      .map((code) => [String(httpErrors[code].status), `\`${code}\``, op.notes?.[code] ?? errorNotes[code]]);
    if (op.operationId === 'ready')
      failures.push(['503', '`unavailable`', 'A dependency did not answer; `failed` lists which.']);
    if (failures.length > 0) rows.push('Errors:', '', markdownTable(['status', 'error', 'when'], failures), '');
    add(...rows);
  }
  add('Error codes and their default messages:', '', errorCodeTable(['error', 'status', 'message']), '');
  return out.join('\n');
}
