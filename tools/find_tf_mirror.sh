#!/bin/sh
# Prints the root of a Terraform filesystem mirror on this machine that holds
# hashicorp/aws (the directory containing registry.terraform.io/hashicorp/aws/...),
# or nothing. `make test` hands it to tests/test_plan_real.py as ARCHC_TEST_PLUGIN_DIR:
# the project's machines and CI carry such a mirror (where is up to the image), while
# archc itself only looks where Terraform looks. Searched: every directory up to three
# levels below / (e.g. /opt/<name>/registry.terraform.io), then Terraform's own plugin
# directories.
for root in / "${HOME:-/nonexistent}/.terraform.d/plugins" /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
  [ -d "$root" ] || continue
  depth=3; [ "$root" = / ] || depth=1
  find "$root" -maxdepth "$depth" -type d -name registry.terraform.io -not -path '/proc/*' 2>/dev/null | sort |
    while IFS= read -r found; do [ -d "$found/hashicorp/aws" ] && dirname "$found"; done
done | head -n 1
