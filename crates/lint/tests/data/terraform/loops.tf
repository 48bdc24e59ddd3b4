variable "roles" {
  type = map(object({ actions = list(string), scope = string }))
}

variable "permission_sets" {
  type = list(object({ actions = list(string), not_actions = list(string) }))
}

# One role per map entry: `for_each` is not evaluated, the role is linted once as written.
resource "azurerm_role_definition" "per_team" {
  for_each = var.roles

  name  = "team-${each.key}"
  scope = each.value.scope

  permissions {
    actions = each.value.actions
  }
}

# A counted role with a literal permission and generated ones.
resource "azurerm_role_definition" "counted" {
  count = 2

  name  = "Counted Reader ${count.index}"
  scope = "/subscriptions/55555555-5555-5555-5555-555555555555"

  permissions {
    actions = ["Microsoft.Insights/*"]
  }

  dynamic "permissions" {
    for_each = var.permission_sets
    content {
      actions     = permissions.value.actions
      not_actions = permissions.value.not_actions
    }
  }
}
