"""A function tree for the Lambda kinds' tests: a role and an inline-code function."""

from __future__ import annotations

ROLE = """
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: lambda-tests
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
"""


def function_tree(body: str = "return 1", memory: int = 128, extra: str = "",
                  resources: str = "") -> str:
    """A tree with Role and Function (name ``lambda-tests``); ``extra`` adds properties."""
    return f"""
Resources:{ROLE}
  Function:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: lambda-tests
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      MemorySize: {memory}
      Code:
        ZipFile: |
          def handler(event, context):
              {body}
{extra}{resources}"""
