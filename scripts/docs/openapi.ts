/** The OpenAPI 3.1 document of the REST endpoints. */
import { z } from 'zod';
import { httpErrors, type HttpErrorCode } from '../../src/errors.js';
import { errorResponseSchema, messageSchema } from '../../src/protocol/events.js';
import { errorNotes, restOperations } from './content/rest.js';
import { errorCodeTable } from './markdown-text.js';
import { descriptionOf, example, SchemaSet, type JsonSchema } from './schema-set.js';

function errorResponses(
  schemas: SchemaSet,
  codes: HttpErrorCode[],
  notes: Partial<Record<HttpErrorCode, string>>,
): Record<string, JsonSchema> {
  const byStatus = new Map<number, HttpErrorCode[]>();
  for (const code of codes) {
    const status = httpErrors[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const schema = errorResponseSchema.extend({
      error: z.enum(group as [HttpErrorCode, ...HttpErrorCode[]]).describe('Machine-readable error code'),
    });
    const response: JsonSchema = {
      description: group.map((code) => `\`${code}\`: ${notes[code] ?? errorNotes[code]}`).join(' '),
      content: {
        'application/json': {
          schema: schemas.convert(schema, 'output'),
          examples: Object.fromEntries(
            group.map((code) => [
              code,
              { value: example(schema, { error: code, message: httpErrors[code].message }, `${status} ${code}`) },
            ]),
          ),
        },
      },
    };
    if (status === 429) response['headers'] = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };
    responses[String(status)] = response;
  }
  return responses;
}

export function buildOpenApi(version: string): JsonSchema {
  const schemas = new SchemaSet('draft-2020-12', '#/components/schemas/');
  schemas.component('ErrorResponse', errorResponseSchema, 'output');
  const paths: Record<string, Record<string, JsonSchema>> = {};

  for (const op of restOperations) {
    const success = op.success;
    const empty = success.status === 204;
    if (!empty) example(success.schema, success.example, `${op.operationId} response`);
    const successSchema = success.name
      ? schemas.component(success.name, success.schema, 'output')
      : schemas.convert(success.schema, 'output');
    const operation: JsonSchema = {
      operationId: op.operationId,
      tags: [op.tag],
      summary: op.summary,
      description: op.description,
      security: op.security ?? (op.admin ? [{ adminBearer: [] }] : []),
    };
    if (op.parameters) {
      operation['parameters'] = op.parameters.map((p) => {
        example(p.schema, p.example, `${op.operationId} parameter ${p.name}`);
        const schema = schemas.convert(p.schema, 'input');
        return {
          name: p.name,
          in: p.in,
          required: p.required,
          description: p.description ?? descriptionOf(schema),
          schema,
          example: p.example,
        };
      });
    }
    if (op.request) {
      example(op.request.schema, op.request.example, `${op.operationId} request`);
      operation['requestBody'] = {
        required: true,
        content: {
          'application/json': {
            schema: schemas.component(op.request.name, op.request.schema, 'input'),
            example: op.request.example,
          },
        },
      };
    }
    operation['responses'] = {
      [String(success.status)]: empty
        ? { description: success.description }
        : {
            description: success.description,
            content: { [success.mediaType ?? 'application/json']: { schema: successSchema, example: success.example } },
          },
      ...errorResponses(schemas, op.errors, op.notes ?? {}),
      ...op.extraResponses?.(schemas),
    };
    (paths[op.path] ??= {})[op.method] = operation;
  }
  // Keep the component list tidy: Message first, as the REST and WebSocket documents share it.
  schemas.component('Message', messageSchema, 'output');

  return {
    openapi: '3.1.0',
    info: {
      title: 'Live chat REST API',
      version,
      description: [
        'REST side of the live chat: listener sessions, broadcaster login and history, and operations endpoints. The real-time ' +
          'part (WebSocket) is described in asyncapi.yaml; a readable guide with a client walk-through is docs/events.md.',
        '',
        'All bodies are JSON. Every error is `{"error": "<code>", "message": "<human text>"}`; `message` is Indonesian and ' +
          'meant for display, `error` is the stable code. Any request whose `Origin` header is present and not in ' +
          '`LIVECHAT_ALLOWED_ORIGINS` (when that is set) is refused with 403 `origin_forbidden`; unknown paths answer 404 `not_found`.',
        '',
        errorCodeTable(['error', 'HTTP status', 'default message']),
      ].join('\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [
      { url: 'http://localhost:3000', description: 'A server started locally with `npm start` (default `PORT` 3000).' },
      {
        url: 'https://{host}',
        description: "The station's deployment, behind TLS; `host` is its host name (and port).",
        variables: { host: { default: 'chat.radio.example' } },
      },
    ],
    tags: [
      { name: 'listener', description: 'Used by listener clients.' },
      { name: 'broadcaster', description: 'Used by the broadcaster dashboard; admin bearer token.' },
      { name: 'moderation', description: 'Blocks and hidden messages; admin bearer token.' },
      { name: 'accounts', description: 'Broadcaster accounts and the audit log; admin bearer token of a manager.' },
      { name: 'operations', description: 'Health, readiness and metrics.' },
    ],
    paths,
    components: {
      schemas: schemas.components,
      headers: {
        RetryAfter: {
          description: 'Seconds to wait before retrying.',
          schema: schemas.convert(z.number().int().positive(), 'output'),
        },
      },
      securitySchemes: {
        sessionBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Session token from `POST /livechat/session`. An admin token is refused with 403.',
        },
        adminBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Admin token from `POST /livechat/admin/login`. A listener session token is refused with 403.',
        },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The value of `LIVECHAT_METRICS_TOKEN`; needed only when that variable is set.',
        },
      },
    },
  };
}
