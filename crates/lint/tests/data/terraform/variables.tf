variable "subscription_id" {
  type = string
}

variable "extra_actions" {
  type    = list(string)
  default = []
}

locals {
  prefix = "app"
}

data "azurerm_subscription" "primary" {}

# References and interpolations are not evaluated: they are noted (RL311), the literal entries are linted.
resource "azurerm_role_definition" "app_deployer" {
  name        = "${local.prefix}-deployer"
  scope       = data.azurerm_subscription.primary.id
  description = jsonencode({ owner = "platform" })

  permissions {
    actions     = concat(["Microsoft.Web/sites/*"], var.extra_actions)
    not_actions = ["Microsoft.Web/sites/delete", var.extra_actions[0]]
  }

  assignable_scopes = [
    "/subscriptions/${var.subscription_id}",
    "/subscriptions/44444444-4444-4444-4444-444444444444",
  ]
}
