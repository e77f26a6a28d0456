"""Baseline: the Udagram seed written the usual CDKTF way, with typed provider classes.

Runs in bench/.baseline-venv (cdktn + cdktn-provider-aws); bench/run.py times it next
to `archc build` of examples/udagram.yaml, which emits the same kinds of resources.
"""

from __future__ import annotations

import sys

from cdktn import App, LocalBackend, TerraformStack
from cdktn_provider_aws import (
    db_instance,
    db_subnet_group,
    elastic_beanstalk_application,
    elastic_beanstalk_environment,
    provider,
    s3_bucket,
    s3_bucket_public_access_block,
    security_group,
    subnet,
    vpc,
)


def main(outdir: str) -> None:
    app = App(outdir=outdir)
    stack = TerraformStack(app, "udagram")
    provider.AwsProvider(stack, "aws", region="us-east-1")
    LocalBackend(stack, path="terraform.tfstate")
    net = vpc.Vpc(stack, "main", cidr_block="10.0.0.0/16", enable_dns_hostnames=True)
    subnets = [
        subnet.Subnet(stack, f"private_{az}", vpc_id=net.id, cidr_block=f"10.0.{i}.0/24", availability_zone=f"us-east-1{az}")
        for i, az in enumerate("ab")
    ]
    bucket = s3_bucket.S3Bucket(stack, "frontend", bucket_prefix="udagram-frontend-")
    s3_bucket_public_access_block.S3BucketPublicAccessBlock(
        stack,
        "frontend_pab",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    app_sg = security_group.SecurityGroup(stack, "backend_sg", vpc_id=net.id, name="udagram-backend")
    db_sg = security_group.SecurityGroup(stack, "db_sg", vpc_id=net.id, name="udagram-db")
    group = db_subnet_group.DbSubnetGroup(stack, "db_subnets", name="udagram-db", subnet_ids=[s.id for s in subnets])
    db_instance.DbInstance(
        stack,
        "db",
        engine="postgres",
        instance_class="db.t4g.medium",
        allocated_storage=20,
        manage_master_user_password=True,
        username="app_admin",
        db_subnet_group_name=group.name,
        vpc_security_group_ids=[db_sg.id],
        storage_encrypted=True,
    )
    eb_app = elastic_beanstalk_application.ElasticBeanstalkApplication(stack, "backend_app", name="udagram-backend")
    elastic_beanstalk_environment.ElasticBeanstalkEnvironment(
        stack,
        "backend_env",
        name="udagram-backend",
        application=eb_app.name,
        solution_stack_name="64bit Amazon Linux 2023 v6.1.0 running Node.js 20",
        setting=[
            elastic_beanstalk_environment.ElasticBeanstalkEnvironmentSetting(namespace="aws:ec2:vpc", name="VPCId", value=net.id),
            elastic_beanstalk_environment.ElasticBeanstalkEnvironmentSetting(
                namespace="aws:autoscaling:launchconfiguration", name="SecurityGroups", value=app_sg.id
            ),
        ],
    )
    app.synth()


if __name__ == "__main__":
    main(sys.argv[1])
