# Shapes of AWS responses as moto 5 (under boto3) gives them, and the
# output shapes of the botocore service model: what test/simulator/moto-conformance.test.ts
# compares the simulated world with. Prints one JSON object.
import json, datetime
from moto import mock_aws
import boto3
from botocore.exceptions import ClientError

def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items() if k != 'ResponseMetadata'}
    if isinstance(v, list):
        return [shape(x) for x in v[:1]]
    if isinstance(v, datetime.datetime): return 'date'
    if isinstance(v, bool): return 'boolean'
    if isinstance(v, (int, float)): return 'number'
    if isinstance(v, (bytes, bytearray)): return 'bytes'
    if hasattr(v, 'read'): return 'stream'
    return 'string'

def err(fn):
    try:
        fn(); return None
    except ClientError as e:
        return {'code': e.response['Error']['Code'], 'status': e.response['ResponseMetadata']['HTTPStatusCode'], 'message': e.response['Error'].get('Message', '')}

out = {}
with mock_aws():
    r = 'us-east-1'
    s3 = boto3.client('s3', region_name=r)
    s3.create_bucket(Bucket='acme-artifacts')
    s3.put_object(Bucket='acme-artifacts', Key='api/app.tar.gz', Body=b'abc', ContentType='application/gzip')
    out['s3.head'] = shape(s3.head_object(Bucket='acme-artifacts', Key='api/app.tar.gz'))
    out['s3.get'] = shape(s3.get_object(Bucket='acme-artifacts', Key='api/app.tar.gz'))
    out['s3.headMissing'] = err(lambda: s3.head_object(Bucket='acme-artifacts', Key='api/missing'))
    out['s3.getMissing'] = err(lambda: s3.get_object(Bucket='acme-artifacts', Key='api/missing'))
    out['s3.getNoBucket'] = err(lambda: s3.get_object(Bucket='nobody-s-bucket', Key='x'))
    sm = boto3.client('secretsmanager', region_name=r)
    sm.create_secret(Name='deployer/web-key', SecretString='key')
    out['secrets.get'] = shape(sm.get_secret_value(SecretId='deployer/web-key'))
    out['secrets.missing'] = err(lambda: sm.get_secret_value(SecretId='deployer/nobody'))
    ec2 = boto3.client('ec2', region_name=r)
    ami = ec2.describe_images(Owners=['amazon'])['Images'][0]['ImageId']
    def run(tags):
        return ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, TagSpecifications=[{'ResourceType': 'instance', 'Tags': [{'Key': k, 'Value': v} for k, v in tags.items()]}])['Instances'][0]['InstanceId']
    ids = [run({'app': 'api', 'env': 'prod'}), run({'app': 'api', 'env': 'staging'}), run({'app': 'web', 'env': 'prod'})]
    d = ec2.describe_instances(Filters=[{'Name': 'tag:app', 'Values': ['api']}, {'Name': 'tag:env', 'Values': ['prod']}])
    out['ec2.describe'] = shape(d)
    out['ec2.matched'] = [ids.index(i['InstanceId']) for res in d['Reservations'] for i in res['Instances']]
    out['ec2.unknown'] = err(lambda: ec2.describe_instances(InstanceIds=['i-0fffffffffffffff0']))
    ssm = boto3.client('ssm', region_name=r)
    c = ssm.send_command(DocumentName='AWS-RunShellScript', InstanceIds=[ids[0]], Parameters={'commands': ['echo hi']}, TimeoutSeconds=60, MaxConcurrency='1', MaxErrors='0', Comment='deploy', CloudWatchOutputConfig={'CloudWatchOutputEnabled': True, 'CloudWatchLogGroupName': '/deployer/api'})
    out['ssm.send'] = shape(c)
    out['ssm.get'] = shape(ssm.get_command_invocation(CommandId=c['Command']['CommandId'], InstanceId=ids[0]))

import botocore.session
sess = botocore.session.get_session()
def tree(shape, depth=0):
    if depth > 6: return 'any'
    t = shape.type_name
    if t == 'structure':
        return {k: tree(m, depth+1) for k, m in shape.members.items()}
    if t == 'list': return [tree(shape.member, depth+1)]
    if t == 'map': return 'map'
    if t == 'timestamp': return 'date'
    if t in ('integer','long','float','double'): return 'number'
    if t == 'boolean': return 'boolean'
    if t == 'blob': return 'bytes'
    return 'string'
models = {}
for svc, ops in {'s3': ['HeadObject','GetObject','PutObject','ListObjectsV2'], 'secretsmanager': ['GetSecretValue'], 'ec2': ['DescribeInstances'], 'ssm': ['SendCommand','ListCommandInvocations','GetCommandInvocation','ListCommands','DescribeInstanceInformation']}.items():
    m = sess.get_service_model(svc)
    for op in ops:
        models[f'{svc}.{op}'] = tree(m.operation_model(op).output_shape)
out['models'] = models
ssm_model = sess.get_service_model('ssm')
out['limits'] = {name: ssm_model.shape_for(name).metadata.get('max') for name in ['CommandPluginOutput', 'StandardOutputContent', 'StandardErrorContent']}
print(json.dumps(out, indent=1))
