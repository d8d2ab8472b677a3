import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import {
  HookdApiDestinationStack,
  type HookdApiDestinationStackProps,
} from "../../infra/lib/api-destination-stack.ts";
import { onlyResource, testApps } from "./test-app.ts";

const CLUSTER = "arn:aws:ecs:eu-west-1:111122223333:cluster/prod";

const newApp = testApps();

function synth(props: HookdApiDestinationStackProps): Template {
  return Template.fromStack(new HookdApiDestinationStack(newApp(), "Hookd", props));
}

describe("API destination stack", () => {
  const template = synth({
    hookdUrl: "https://hookd.example.workers.dev",
    clusterArn: CLUSTER,
    tokenSecret: "hookd/token",
  });
  const rule = onlyResource(template, "AWS::Events::Rule");
  const queue = onlyResource(template, "AWS::SQS::Queue");
  const destination = onlyResource(template, "AWS::Events::ApiDestination");

  it("matches ECS task state changes of the chosen cluster", () => {
    expect(rule.properties).toMatchObject({
      State: "ENABLED",
      EventPattern: {
        source: ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        detail: { clusterArn: [CLUSTER] },
      },
    });
  });

  it("sends Authorization: Bearer <the secret's value> with API_KEY auth", () => {
    template.hasResourceProperties("AWS::Events::Connection", {
      AuthorizationType: "API_KEY",
      AuthParameters: {
        ApiKeyAuthParameters: {
          ApiKeyName: "Authorization",
          ApiKeyValue: "Bearer {{resolve:secretsmanager:hookd/token:SecretString:::}}",
        },
      },
    });
    template.resourceCountIs("AWS::SecretsManager::Secret", 0);
  });

  it("posts to /v1/events/ecs at a bounded rate", () => {
    const connection = onlyResource(template, "AWS::Events::Connection");
    expect(destination.properties).toEqual({
      ConnectionArn: { "Fn::GetAtt": [connection.logicalId, "Arn"] },
      Description: "hookd's ECS event route",
      HttpMethod: "POST",
      InvocationEndpoint: "https://hookd.example.workers.dev/v1/events/ecs",
      InvocationRateLimitPerSecond: 20,
    });
  });

  it("targets the API destination with a retry policy and the dead-letter queue", () => {
    const targets = (rule.properties as { Targets: unknown[] }).Targets;
    expect(targets).toEqual([
      {
        Id: "Target0",
        Arn: { "Fn::GetAtt": [destination.logicalId, "Arn"] },
        RoleArn: { "Fn::GetAtt": [expect.stringMatching(/^ApiDestinationEventsRole/), "Arn"] },
        DeadLetterConfig: { Arn: { "Fn::GetAtt": [queue.logicalId, "Arn"] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 1800, MaximumRetryAttempts: 20 },
      },
    ]);
    expect(queue.properties).toEqual({ MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true });
  });

  it("lets only this rule write to the dead-letter queue, over TLS", () => {
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          Match.objectLike({
            Effect: "Allow",
            Action: "sqs:SendMessage",
            Principal: { Service: "events.amazonaws.com" },
            Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": [rule.logicalId, "Arn"] } } },
          }),
        ],
      },
    });
  });

  it("lets EventBridge invoke this destination and nothing else", () => {
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: [
          {
            Action: "events:InvokeApiDestination",
            Effect: "Allow",
            Resource: { "Fn::GetAtt": [destination.logicalId, "Arn"] },
          },
        ],
      },
    });
  });
});

describe("API destination stack settings", () => {
  it("creates a random token secret when none is given, and outputs its ARN", () => {
    const template = synth({ hookdUrl: "https://hookd.example.com/base/", clusterArn: "*" });
    const secret = onlyResource(template, "AWS::SecretsManager::Secret");
    expect(secret.properties).toMatchObject({
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
    template.hasResourceProperties("AWS::Events::Connection", {
      AuthParameters: {
        ApiKeyAuthParameters: {
          ApiKeyValue: {
            "Fn::Join": [
              "",
              ["Bearer {{resolve:secretsmanager:", { Ref: secret.logicalId }, ":SecretString:::}}"],
            ],
          },
        },
      },
    });
    template.hasOutput("TokenSecretArn", { Value: { Ref: secret.logicalId } });
    // A base path is kept, its trailing slash is not; "*" drops the cluster filter.
    template.hasResourceProperties("AWS::Events::ApiDestination", {
      InvocationEndpoint: "https://hookd.example.com/base/v1/events/ecs",
    });
    const rule = onlyResource(template, "AWS::Events::Rule");
    expect((rule.properties as { EventPattern: unknown }).EventPattern).toEqual({
      source: ["aws.ecs"],
      "detail-type": ["ECS Task State Change"],
    });
  });

  it("asks for HookdUrl and ClusterArn at deploy time when they are not given", () => {
    const template = synth({});
    template.hasParameter("HookdUrl", {
      Type: "String",
      AllowedPattern: Match.stringLikeRegexp("^https://"),
    });
    template.hasParameter("ClusterArn", {
      Type: "String",
      AllowedPattern: Match.stringLikeRegexp(":cluster/"),
    });
    template.hasResourceProperties("AWS::Events::ApiDestination", {
      InvocationEndpoint: { "Fn::Join": ["", [{ Ref: "HookdUrl" }, "/v1/events/ecs"]] },
    });
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: { detail: { clusterArn: [{ Ref: "ClusterArn" }] } },
    });
  });

  it("accepts the token secret's complete ARN", () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:hookd/token-AbCdEf";
    const template = synth({ hookdUrl: "https://h.example", clusterArn: CLUSTER, tokenSecret: arn });
    template.hasResourceProperties("AWS::Events::Connection", {
      AuthParameters: {
        ApiKeyAuthParameters: { ApiKeyValue: `Bearer {{resolve:secretsmanager:${arn}:SecretString:::}}` },
      },
    });
  });

  it("refuses a plain-HTTP URL and a malformed cluster ARN, saying why", () => {
    expect(() => synth({ hookdUrl: "http://hookd.example", clusterArn: CLUSTER })).toThrow(
      /API destinations only call HTTPS/,
    );
    expect(() => synth({ hookdUrl: "https://hookd.example", clusterArn: "prod" })).toThrow(
      /clusterArn "prod" does not match/,
    );
  });
});
