import { resolve } from "node:path";
import { createCloudEvent } from "../../cloudevent.js";
import { loadConfig } from "../../config.js";
import { createDaprClient } from "../../dapr/client.js";
import { type Command, parseOptions, UsageError } from "../command.js";
import { readCredentials } from "../local/credentials.js";

export const invoke: Command = {
  help: `Usage: taskbeat invoke <topic> --data '<json>' [options]

Publishes one CloudEvent through the sidecar on DAPR_HTTP_PORT (the local one of "taskbeat start",
or a real daprd) and prints its id. Without DAPR_API_TOKEN it sends the local sidecar's generated
token from TASKBEAT_HOME/credentials.json.

Options:
  --data <json>            the event's data (required)
  --type <type>            CloudEvent type (default: taskbeat.test.v1)
  --subject <subject>      CloudEvent subject
  --pubsub <name>          pub/sub component (default: pubsub)
  --partition-key <key>    sent as ?metadata.partitionKey= (default: the subject)`,

  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      {
        data: { type: "string" },
        type: { type: "string", default: "taskbeat.test.v1" },
        subject: { type: "string" },
        pubsub: { type: "string", default: "pubsub" },
        "partition-key": { type: "string" },
      },
      true,
    );
    const [topic, ...extra] = positionals;
    if (!topic || extra.length > 0) throw new UsageError("expected exactly one <topic>");
    if (values.data === undefined) throw new UsageError("--data is required");
    let data: unknown;
    try {
      data = JSON.parse(values.data);
    } catch {
      throw new UsageError("--data is not valid JSON");
    }
    let config = loadConfig();
    // The local sidecar of `taskbeat start` wants its generated token (kept in TASKBEAT_HOME).
    if (!config.DAPR_API_TOKEN) {
      const local = await readCredentials(resolve(config.TASKBEAT_HOME));
      if (local) config = { ...config, DAPR_API_TOKEN: local.daprApiToken };
    }
    const event = createCloudEvent({
      type: values.type,
      data,
      source: "taskbeat/cli",
      ...(values.subject ? { subject: values.subject } : {}),
    });
    const partitionKey = values["partition-key"] ?? values.subject;
    await createDaprClient(config).publish(values.pubsub, topic, event, partitionKey ? { partitionKey } : {});
    process.stdout.write(`${event.id}\n`);
    return 0;
  },
};
