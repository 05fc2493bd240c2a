/** The AsyncAPI 3.0 document of both WebSocket endpoints. */
import { z } from 'zod';
import { httpErrors } from '../../src/errors.js';
import { OTHER_CLOSES, closeCodes, endpoints, type Direction, type Endpoint } from './content/endpoints.js';
import { example, SchemaSet, type JsonSchema } from './schema-set.js';
import { arrow, closeCodeTable, refusalTable, rulesText } from './markdown-text.js';

const eventKey = (event: string) => event.replaceAll(':', '.');

function envelope(event: string, data: z.ZodType): z.ZodType {
  return z
    .object({
      event: z.literal(event).describe('Event name'),
      data,
    })
    .describe(`Frame of the \`${event}\` event`);
}

function channelDescription(endpoint: Endpoint): string {
  const replay =
    endpoint.side === 'listener'
      ? '\n\nWith `lastMessageId`, right after `connection:success` the server sends, in order, a `message:receive` for every ' +
        'broadcaster message of the session stored after it; live frames follow. An invalid `lastMessageId` is answered with ' +
        '`error:invalid_payload` and no replay.'
      : '';
  return [
    `WebSocket endpoint for ${endpoint.who}: \`${endpoint.address}?token=…\`, with the ${endpoint.tokenFrom}.`,
    '',
    '**Handshake.** On success the upgrade completes (HTTP 101) and the first frame the server sends is `connection:success`. ' +
      'A refused upgrade is answered with an HTTP status and a JSON body `{"error","message"}`, and no WebSocket is opened ' +
      '(browsers only see a failed connection). When several refusals apply, any of their statuses may be answered.' +
      replay,
    '',
    refusalTable(endpoint),
    '',
    '**Close codes.**',
    '',
    closeCodeTable(),
    '',
    OTHER_CLOSES,
  ].join('\n');
}

export function buildAsyncApi(version: string): JsonSchema {
  const schemas = new SchemaSet('draft-07', '#/components/schemas/');
  const messages: Record<string, JsonSchema> = {};
  const channels: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};

  for (const endpoint of endpoints) {
    const channelMessages: Record<string, JsonSchema> = {};
    const channelRef = { $ref: `#/channels/${endpoint.side}` };
    const security = [
      { $ref: `#/components/securitySchemes/${endpoint.side === 'listener' ? 'sessionToken' : 'adminToken'}` },
    ];
    const messageRef = (direction: Direction, event: string) => ({
      $ref: `#/channels/${endpoint.side}/messages/${direction}.${eventKey(event)}`,
    });

    for (const direction of ['client', 'server'] as const) {
      const { map, docs } = endpoint.events[direction];
      for (const [event, schema] of Object.entries(map)) {
        const doc = docs[event];
        if (!doc) throw new Error(`no documentation for ${endpoint.side} ${direction} event ${event}`);
        example(schema, doc.example, `${endpoint.side} ${event}`);
        const key = `${direction}.${eventKey(event)}`;
        const componentKey = `${endpoint.side}.${key}`;
        messages[componentKey] = {
          name: event,
          title: `${event} (${arrow(endpoint.side, direction)})`,
          summary: doc.summary,
          description: doc.description,
          contentType: 'application/json',
          payload: schemas.convert(envelope(event, schema), direction === 'client' ? 'input' : 'output'),
          examples: [{ name: eventKey(event), summary: doc.summary, payload: { event, data: doc.example } }],
        };
        channelMessages[key] = { $ref: `#/components/messages/${componentKey}` };

        const operation: JsonSchema = {
          action: direction === 'client' ? 'receive' : 'send',
          channel: channelRef,
          title: `${event} (${arrow(endpoint.side, direction)})`,
          summary: doc.summary,
          security,
          messages: [messageRef(direction, event)],
        };
        if (direction === 'client' && (event === 'message:send' || event === 'message:reply')) {
          operation['reply'] = {
            channel: channelRef,
            messages: ['message:ack', 'error:invalid_payload', 'error:rate_limited', 'error:unavailable'].map((e) =>
              messageRef('server', e),
            ),
          };
        }
        operations[`${endpoint.side}.${operation['action'] as string}.${eventKey(event)}`] = operation;
      }
    }

    channels[endpoint.side] = {
      address: endpoint.address,
      title: endpoint.title,
      summary: `WebSocket endpoint for ${endpoint.who}.`,
      description: channelDescription(endpoint),
      messages: channelMessages,
      bindings: {
        ws: {
          method: 'GET',
          query: schemas.convert(endpoint.query, 'input'),
          bindingVersion: '0.1.0',
        },
      },
      'x-handshake-refusals': endpoint.refusals.map((r) => ({
        status: httpErrors[r.code].status,
        error: r.code,
        when: r.when,
        body: { error: r.code, message: httpErrors[r.code].message },
      })),
      'x-close-codes': closeCodes.map((c) => ({ code: c.code, name: c.name, when: c.when, client: c.client })),
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Live chat WebSocket API',
      version,
      description: [
        'Real-time chat between radio listeners and broadcasters. Listeners create a session over REST ' +
          '(`POST /livechat/session`, see openapi.yaml) and connect to `/livechat/ws`; broadcasters log in ' +
          '(`POST /livechat/admin/login`) and connect to `/livechat/admin/ws`.',
        '',
        'Every frame, both ways, is one text frame holding one JSON object `{"event": "<name>", "data": {…}}`; each message ' +
          "below documents that frame. Operations are written from the server's point of view: `receive` is a frame the client " +
          'sends, `send` a frame the server sends.',
        '',
        'A readable guide with a client walk-through is docs/events.md.',
        '',
        '**Rules**',
        '',
        rulesText(),
      ].join('\n'),
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:3000',
        protocol: 'ws',
        description: 'A server started locally with `npm start` (default `PORT` 3000).',
      },
      production: {
        host: '{host}',
        protocol: 'wss',
        description: "The station's deployment, behind TLS.",
        variables: { host: { default: 'chat.radio.example', description: 'Host name (and port) of the deployment' } },
      },
    },
    channels,
    operations,
    components: {
      schemas: schemas.components,
      messages,
      securitySchemes: {
        sessionToken: {
          type: 'httpApiKey',
          name: 'token',
          in: 'query',
          description: 'Listener session token (JWT): `sessionToken` from `POST /livechat/session`.',
        },
        adminToken: {
          type: 'httpApiKey',
          name: 'token',
          in: 'query',
          description: 'Broadcaster admin token (JWT): `token` from `POST /livechat/admin/login`.',
        },
      },
    },
  };
}
