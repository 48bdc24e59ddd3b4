terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }
}

provider "azurerm" {
  features {}
}

resource "azurerm_resource_group" "ops" {
  name     = "rg-ops"
  location = "westeurope"
}

# A role that Azure would reject: two wildcards in one action and a management group
# assignable scope next to data actions.
resource "azurerm_role_definition" "ops_admin" {
  name        = "Ops Admin"
  scope       = "/providers/Microsoft.Management/managementGroups/mg-ops"
  description = "Everything on Key Vault."

  permissions {
    actions      = ["Microsoft.KeyVault/*", "Microsoft.Authorization/*/write", "Microsoft.CostManagement/*/query/*"]
    data_actions = ["Microsoft.KeyVault/vaults/secrets/getSecret/action"]
  }

  assignable_scopes = ["/providers/Microsoft.Management/managementGroups/mg-ops"]
}

output "ops_rg" {
  value = azurerm_resource_group.ops.id
}
