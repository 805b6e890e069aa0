"""The scaffold writes a new kind's module, its contract example and its registry entry."""

from __future__ import annotations

import py_compile
import shutil
from pathlib import Path

from reconciler.kinds import scaffold


def test_scaffold_writes_module_example_and_registry_entry(tmp_path: Path) -> None:
    (tmp_path / "reconciler" / "kinds").mkdir(parents=True)
    (tmp_path / "reconciler" / "schemas").mkdir()
    (tmp_path / "tests" / "contract").mkdir(parents=True)
    registry = tmp_path / "reconciler" / "kinds" / "registry.py"
    shutil.copy(Path(scaffold.__file__).with_name("registry.py"), registry)

    written = scaffold.scaffold("AWS::EC2::InternetGateway", "ec2", root=tmp_path)

    module = tmp_path / "reconciler" / "kinds" / "ec2_internet_gateway.py"
    assert written == [module, tmp_path / "tests" / "contract" / "ec2_internet_gateway.yaml"]
    py_compile.compile(str(module), doraise=True)
    text = module.read_text()
    assert 'create_call = Call("CreateInternetGateway")' in text
    assert 'delete_call = Call("DeleteInternetGateway")' in text
    assert '"reconciler.kinds.ec2_internet_gateway:InternetGateway"' in registry.read_text()
    # The schema was missing, so it was vendored beside the others.
    assert (tmp_path / "reconciler" / "schemas" / "aws-ec2-internetgateway.json").exists()
    scaffold.register("AWS::EC2::InternetGateway", "ec2_internet_gateway", registry)
    assert registry.read_text().count("AWS::EC2::InternetGateway") == 1


def test_module_names() -> None:
    assert scaffold.module_name("AWS::Logs::LogGroup") == "logs_log_group"
    assert scaffold.module_name("AWS::EC2::VPCEndpoint") == "ec2_vpc_endpoint"
    assert scaffold.module_name("AWS::RDS::DBProxyTargetGroup") == "rds_db_proxy_target_group"
